/* SPDX-License-Identifier: BSD-3-Clause */
/* Features through the no-loss text .cfg writer (found by fuzz_reader's
 * round-trip check): keys with blanks, backslashes and control characters
 * come back unchanged; what .cfg cannot hold (an empty key, a value line
 * ending in a carriage return) is refused, not silently changed; an
 * extended XYZ comment with '=' but no key is a parse error with its line. */
#include "testutil.h"

#include <openmtp/openmtp.h>

static mtp_status round_trip(const mtp_cfg *in, mtp_cfg *out, mtp_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    mtp_write_options wo = {.no_loss = 1};
    mtp_status st = mtp_write_cfg(fp, "mem", in, MTP_FORMAT_CFG, &wo, err);
    fclose(fp);
    if (!st) {
        FILE *rf = fmemopen(buf, len, "rb");
        mtp_reader *r = NULL;
        int got = 0;
        st = mtp_reader_open_stream(rf, "mem", MTP_FORMAT_CFG, NULL, &r, err);
        if (!st) st = mtp_reader_next(r, out, &got, err);
        if (!st && !got) st = MTP_ERR_PARSE;
        mtp_reader_close(r);
        fclose(rf);
    }
    free(buf);
    return st;
}

static void one_atom(mtp_cfg *c)
{
    mtp_error err;
    mtp_cfg_init(c);
    mtp_cfg_alloc(c, 1, 0, &err);
}

int main(void)
{
    mtp_error err;
    const char *keys[] = {"plain", "with space", "tab\there", "back\\slash", "back\\_not_a_space", "v\vf\f", "nl\nkey"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        mtp_cfg c, back;
        one_atom(&c);
        mtp_cfg_init(&back);
        mtp_cfg_set_feature(&c, keys[k], " value with\tblanks ", &err);
        mtp_status st = round_trip(&c, &back, &err);
        CHECK_OK(st, err);
        const char *v = st ? NULL : mtp_cfg_get_feature(&back, keys[k]);
        CHECK(back.n_features == 1 && v && strcmp(v, " value with\tblanks ") == 0, "key %zu: %d features, value '%s'",
              k, back.n_features, v ? v : "(none)");
        mtp_cfg_free(&c);
        mtp_cfg_free(&back);
    }
    const struct {
        const char *key, *value;
    } refused[] = {{"", "x"}, {"k", "ends in CR\r"}, {"k", "line one\r\nline two"}};
    for (size_t k = 0; k < sizeof refused / sizeof *refused; k++) {
        mtp_cfg c, back;
        one_atom(&c);
        mtp_cfg_init(&back);
        mtp_cfg_set_feature(&c, refused[k].key, refused[k].value, &err);
        mtp_status st = round_trip(&c, &back, &err);
        CHECK(st == MTP_ERR_UNSUPPORTED, "refused feature %zu: status %d (%s)", k, (int)st, st ? err.message : "");
        mtp_cfg_free(&c);
        mtp_cfg_free(&back);
    }
    /* extended XYZ: "= 0.5" names no key */
    static const char xyz[] = "1\nenergy=-1.0 = 0.5\nH 0 0 0\n";
    FILE *fp = fmemopen((void *)xyz, sizeof xyz - 1, "rb");
    mtp_reader *r = NULL;
    mtp_cfg c;
    mtp_cfg_init(&c);
    int got = 0;
    mtp_status st = mtp_reader_open_stream(fp, "k.xyz", MTP_FORMAT_XYZ, NULL, &r, &err);
    if (!st) st = mtp_reader_next(r, &c, &got, &err);
    CHECK(st == MTP_ERR_PARSE && strstr(err.message, "k.xyz:2:") && strstr(err.message, "without a key"),
          "xyz '=' without a key: status %d, message '%s'", (int)st, st ? err.message : "");
    mtp_reader_close(r);
    fclose(fp);
    mtp_cfg_free(&c);
    return tu_finish("cfg_features");
}
