/* SPDX-License-Identifier: BSD-3-Clause */
/* Status codes, error messages and checked allocation. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mtp_version(void) { return OPENMTP_VERSION_STRING; }

const char *mtp_status_string(mtp_status status)
{
    switch (status) {
    case MTP_OK: return "success";
    case MTP_ERR_NOMEM: return "out of memory";
    case MTP_ERR_IO: return "input/output error";
    case MTP_ERR_PARSE: return "parse error";
    case MTP_ERR_INVALID: return "invalid argument";
    case MTP_ERR_SPECIES: return "unknown species";
    case MTP_ERR_GEOMETRY: return "invalid geometry";
    case MTP_ERR_UNTRAINED: return "potential is not trained";
    case MTP_ERR_UNSUPPORTED: return "unsupported feature";
    }
    return "unknown status";
}

mtp_status mtp_vfail(mtp_error *err, mtp_status st, const char *fmt, va_list ap)
{
    if (err) {
        err->status = st;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    }
    return st;
}

mtp_status mtp_fail(mtp_error *err, mtp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mtp_vfail(err, st, fmt, ap);
    va_end(ap);
    return st;
}

mtp_status mtp_parse_fail(mtp_error *err, const char *name, long line, const char *fmt, ...)
{
    if (err) {
        int n = line > 0 ? snprintf(err->message, sizeof err->message, "%s:%ld: ", name, line)
                         : snprintf(err->message, sizeof err->message, "%s: ", name);
        if (n < 0) n = 0;
        if ((size_t)n < sizeof err->message) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
            va_end(ap);
        }
        err->status = MTP_ERR_PARSE;
    }
    return MTP_ERR_PARSE;
}

void mtp_error_clear(mtp_error *err)
{
    if (err) {
        err->status = MTP_OK;
        err->message[0] = '\0';
    }
}

void *mtp_calloc(size_t count, size_t size)
{
    if (size != 0 && count > MTP_MAX_ALLOC / size) return NULL;
    if (count == 0 || size == 0) return calloc(1, 1);
    return calloc(count, size);
}

void *mtp_realloc(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > MTP_MAX_ALLOC / size) return NULL;
    size_t bytes = count * size;
    return realloc(ptr, bytes ? bytes : 1);
}

void *mtp_aligned_calloc(size_t count, size_t size)
{
    if (size != 0 && count > MTP_MAX_ALLOC / size) return NULL;
    size_t bytes = count * size;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL;
    memset(p, 0, bytes ? bytes : 64);
    return p;
}

char *mtp_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mtp_strdup(const char *s) { return mtp_strndup(s, strlen(s)); }
