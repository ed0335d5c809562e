/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for the configuration readers.  Built once per format
 * with -DFUZZ_FORMAT=MTP_FORMAT_xxx.  Reads every configuration of the
 * input (at most MAX_CFGS) through the streaming reader and writes each
 * one back as text .cfg to /dev/null, so the writer is exercised too.
 * Formats the library does not read yet (MTP_ERR_UNSUPPORTED) are a no-op. */
#include <openmtp/openmtp.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_FORMAT
#error "define FUZZ_FORMAT"
#endif
#ifndef FUZZ_NAME
#define FUZZ_NAME "fuzz-input"
#endif

enum { MAX_CFGS = 1000 };

static FILE *null_out(void)
{
    static FILE *out;
    if (!out) {
        out = fopen("/dev/null", "w");
        if (!out) abort();
    }
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0; /* fmemopen rejects empty buffers */
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp) return 0;
    mtp_error err;
    mtp_reader *r = NULL;
    mtp_status st = mtp_reader_open_stream(fp, FUZZ_NAME, FUZZ_FORMAT, NULL, &r, &err);
    if (st == MTP_OK) {
        if (!r) abort(); /* API contract: reader set on success */
        mtp_cfg cfg;
        mtp_cfg_init(&cfg);
        FILE *out = null_out();
        int got = 0;
        for (int i = 0; i < MAX_CFGS; i++) {
            st = mtp_reader_next(r, &cfg, &got, &err);
            if (st != MTP_OK || !got) break;
            if (cfg.n_atoms < 0 || (cfg.n_atoms > 0 && (!cfg.types || !cfg.positions))) abort();
            mtp_write_cfg(out, "/dev/null", &cfg, MTP_FORMAT_CFG, NULL, &err);
            mtp_write_options wo = {.no_loss = 1, .keep_ghosts = 1};
            mtp_write_cfg(out, "/dev/null", &cfg, MTP_FORMAT_CFG, &wo, &err);
        }
        mtp_cfg_free(&cfg);
        mtp_reader_close(r);
    } else if (r) {
        abort(); /* API contract: *reader NULL on failure */
    } else if (st == MTP_ERR_UNSUPPORTED) {
        static int noted;
        if (!noted++)
            fprintf(stderr, "OPENMTP-FUZZ-NOTE: %s: reader not registered (MTP_ERR_UNSUPPORTED): %s\n",
                    FUZZ_NAME, err.message);
    }
    fclose(fp);
    return 0;
}
