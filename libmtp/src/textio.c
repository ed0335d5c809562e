/* SPDX-License-Identifier: BSD-3-Clause */
/* Line-oriented reading, strict number parsing and atomic file writes. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MTP_MAX_LINE ((size_t)64 << 20)

void mtp_lines_init(mtp_lines *ln, FILE *fp, const char *name)
{
    memset(ln, 0, sizeof *ln);
    ln->fp = fp;
    ln->name = name ? name : "<input>";
}

void mtp_lines_free(mtp_lines *ln)
{
    free(ln->line);
    ln->line = NULL;
    ln->cap = ln->len = 0;
}

void mtp_lines_push_back(mtp_lines *ln) { ln->pushed_back = 1; }

mtp_status mtp_lines_next(mtp_lines *ln, int *got, mtp_error *err)
{
    *got = 0;
    if (ln->pushed_back) {
        ln->pushed_back = 0;
        *got = 1;
        return MTP_OK;
    }
    if (ln->eof) return MTP_OK;
    size_t len = 0;
    int c, any = 0;
    while ((c = getc(ln->fp)) != EOF) {
        any = 1;
        if (c == '\n') break;
        if (c == '\0')
            return mtp_parse_fail(err, ln->name, ln->line_no + 1,
                                  "unexpected NUL byte (binary data in a text file?)");
        if (len + 2 > ln->cap) {
            size_t ncap = ln->cap ? ln->cap * 2 : 256;
            if (ncap > MTP_MAX_LINE)
                return mtp_parse_fail(err, ln->name, ln->line_no + 1, "line longer than %zu bytes",
                                      MTP_MAX_LINE);
            char *p = realloc(ln->line, ncap);
            if (!p) return mtp_fail(err, MTP_ERR_NOMEM, "%s: out of memory reading a line", ln->name);
            ln->line = p;
            ln->cap = ncap;
        }
        ln->line[len++] = (char)c;
    }
    if (ferror(ln->fp))
        return mtp_fail(err, MTP_ERR_IO, "%s:%ld: read error: %s", ln->name, ln->line_no + 1,
                        strerror(errno));
    if (!any) {
        ln->eof = 1;
        return MTP_OK;
    }
    if (c == EOF) ln->eof = 1;
    if (!ln->line) {
        ln->line = malloc(1);
        if (!ln->line) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        ln->cap = 1;
    }
    if (len > 0 && ln->line[len - 1] == '\r') len--; /* CRLF files */
    ln->line[len] = '\0';
    ln->len = len;
    ln->line_no++;
    *got = 1;
    return MTP_OK;
}

mtp_status mtp_lines_next_nonblank(mtp_lines *ln, int *got, mtp_error *err)
{
    for (;;) {
        mtp_status st = mtp_lines_next(ln, got, err);
        if (st || !*got) return st;
        if (*mtp_skip_ws(ln->line) != '\0') return MTP_OK;
    }
}

int mtp_parse_double(const char *tok, double *out)
{
    if (!tok || !*tok) return 0;
    char *end;
    errno = 0;
    double v = strtod(tok, &end);
    if (end == tok || *end != '\0') {
        /* Fortran-style exponents such as 1.0D-03 (CP2K, VASP). */
        if (*end == 'D' || *end == 'd') {
            char buf[64];
            size_t n = strlen(tok);
            if (n >= sizeof buf) return 0;
            memcpy(buf, tok, n + 1);
            buf[end - tok] = 'e';
            v = strtod(buf, &end);
            if (*end != '\0') return 0;
        } else {
            return 0;
        }
    }
    if (!isfinite(v)) return 0;
    *out = v;
    return 1;
}

int mtp_parse_int(const char *tok, long lo, long hi, long *out)
{
    if (!tok || !*tok) return 0;
    char *end;
    errno = 0;
    long v = strtol(tok, &end, 10);
    if (end == tok || *end != '\0' || errno == ERANGE || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

int mtp_split_ws(char *s, char **tok, int max)
{
    int n = 0;
    while (*s) {
        while (*s && isspace((unsigned char)*s)) s++;
        if (!*s) break;
        if (n == max) return n + 1; /* signal "more than max" */
        tok[n++] = s;
        while (*s && !isspace((unsigned char)*s)) s++;
        if (*s) *s++ = '\0';
    }
    return n;
}

int mtp_str_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

int mtp_head_contains(const char *head, size_t n, size_t limit, const char *needle)
{
    size_t lim = n < limit ? n : limit, k = strlen(needle);
    for (size_t i = 0; i + k <= lim; i++)
        if (memcmp(head + i, needle, k) == 0) return 1;
    return 0;
}

const char *mtp_skip_ws(const char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

static mtp_temp_file_observer *temp_observer;
static void *temp_observer_user;

void mtp_set_temp_file_observer(mtp_temp_file_observer *observer, void *user)
{
    temp_observer = observer;
    temp_observer_user = user;
}

static void temp_file_event(const char *tmp_path, int live)
{
    if (temp_observer && tmp_path) temp_observer(tmp_path, live, temp_observer_user);
}

mtp_status mtp_atomic_open(mtp_atomic_file *af, const char *path, mtp_error *err)
{
    memset(af, 0, sizeof *af);
    af->path = mtp_strdup(path);
    if (!af->path) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    /* A device or pipe (/dev/stdout, /dev/full, a FIFO) cannot be replaced by
     * rename, and must not be: write to it directly; commit still reports
     * failed writes and closes. */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
        af->fp = fopen(path, "wb");
        if (!af->fp) {
            mtp_status st = mtp_fail(err, MTP_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
            free(af->path);
            memset(af, 0, sizeof *af);
            return st;
        }
        return MTP_OK;
    }
    size_t n = strlen(path) + 48;
    af->tmp_path = malloc(n);
    if (!af->tmp_path) {
        free(af->path);
        memset(af, 0, sizeof *af);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    snprintf(af->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        mtp_status st = mtp_fail(err, MTP_ERR_IO, "%s: cannot create file: %s", af->tmp_path,
                                 strerror(errno));
        free(af->path);
        free(af->tmp_path);
        memset(af, 0, sizeof *af);
        return st;
    }
    temp_file_event(af->tmp_path, 1);
    return MTP_OK;
}

mtp_status mtp_atomic_commit(mtp_atomic_file *af, mtp_error *err)
{
    mtp_status st = MTP_OK;
    int bad = ferror(af->fp), saved_errno = 0;
    if (fflush(af->fp) != 0) bad = 1, saved_errno = errno;
    if (!bad && af->tmp_path && fsync(fileno(af->fp)) != 0 && errno != EINVAL) bad = 1, saved_errno = errno;
    if (fclose(af->fp) != 0 && !bad) bad = 1, saved_errno = errno;
    af->fp = NULL;
    if (bad) {
        st = mtp_fail(err, MTP_ERR_IO, "%s: write failed: %s", af->path,
                      saved_errno ? strerror(saved_errno) : "I/O error");
        if (af->tmp_path) remove(af->tmp_path);
    } else if (af->tmp_path && rename(af->tmp_path, af->path) != 0) {
        st = mtp_fail(err, MTP_ERR_IO, "%s: cannot replace file: %s", af->path, strerror(errno));
        remove(af->tmp_path);
    }
    temp_file_event(af->tmp_path, 0);
    free(af->path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
    return st;
}

void mtp_atomic_abort(mtp_atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->tmp_path) remove(af->tmp_path);
    temp_file_event(af->tmp_path, 0);
    free(af->path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
}

struct mtp_output_file {
    mtp_atomic_file af;
};

mtp_status mtp_output_open(const char *path, mtp_output_file **file, FILE **fp, mtp_error *err)
{
    *file = NULL;
    mtp_output_file *f = mtp_calloc(1, sizeof *f);
    if (!f) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    mtp_status st = mtp_atomic_open(&f->af, path, err);
    if (st) {
        free(f);
        return st;
    }
    *file = f;
    *fp = f->af.fp;
    return MTP_OK;
}

mtp_status mtp_output_commit(mtp_output_file *f, mtp_error *err)
{
    mtp_status st = mtp_atomic_commit(&f->af, err);
    free(f);
    return st;
}

void mtp_output_abort(mtp_output_file *f)
{
    if (!f) return;
    mtp_atomic_abort(&f->af);
    free(f);
}
