/* SPDX-License-Identifier: BSD-3-Clause */
/* Command-line parsing shared by all commands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_parse(int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->pos = calloc((size_t)argc + 1, sizeof(char *));
    a->key = calloc((size_t)argc + 1, sizeof(char *));
    a->val = calloc((size_t)argc + 1, sizeof(char *));
    a->used = calloc((size_t)argc + 1, 1);
    if (!a->pos || !a->key || !a->val || !a->used) return -1;
    for (int i = 0; i < argc; i++) {
        char *s = argv[i];
        if (strcmp(s, "-o") == 0 && i + 1 < argc) {
            a->key[a->n_opt] = strdup("output");
            a->val[a->n_opt++] = strdup(argv[++i]);
        } else if (strncmp(s, "--", 2) == 0 && s[2]) {
            char *eq = strchr(s, '=');
            if (eq) {
                a->key[a->n_opt] = strndup(s + 2, (size_t)(eq - s - 2));
                a->val[a->n_opt++] = strdup(eq + 1);
            } else if (i + 1 < argc && strncmp(argv[i + 1], "-", 1) != 0 &&
                       (strcmp(s + 2, "level") == 0 || strcmp(s + 2, "species") == 0 ||
                        strcmp(s + 2, "cutoff") == 0 || strcmp(s + 2, "min-dist") == 0 ||
                        strcmp(s + 2, "min_dist") == 0 || strcmp(s + 2, "radial-basis-size") == 0 ||
                        strcmp(s + 2, "radial-funcs") == 0 || strcmp(s + 2, "output") == 0)) {
                /* `--level 16` spelling for the options that always take a value */
                a->key[a->n_opt] = strdup(s + 2);
                a->val[a->n_opt++] = strdup(argv[++i]);
            } else {
                a->key[a->n_opt] = strdup(s + 2);
                a->val[a->n_opt++] = strdup("true");
            }
        } else {
            a->pos[a->n_pos++] = s;
        }
    }
    return 0;
}

void cli_args_free(cli_args *a)
{
    for (int i = 0; i < a->n_opt; i++) {
        free(a->key[i]);
        free(a->val[i]);
    }
    free(a->pos);
    free(a->key);
    free(a->val);
    free(a->used);
}

/* MLIP mixes '-' and '_' between versions: treat them as equal. */
static int key_eq(const char *a, const char *b, size_t blen)
{
    size_t i = 0;
    for (; a[i] && i < blen; i++) {
        char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
        if (x != y) return 0;
    }
    return a[i] == '\0' && i == blen;
}

const char *cli_opt(cli_args *a, const char *keys)
{
    const char *result = NULL;
    for (const char *k = keys; *k;) {
        const char *bar = strchr(k, '|');
        size_t len = bar ? (size_t)(bar - k) : strlen(k);
        for (int i = 0; i < a->n_opt; i++)
            if (key_eq(a->key[i], k, len)) {
                a->used[i] = 1;
                result = a->val[i]; /* the last occurrence wins */
            }
        k += len + (bar ? 1 : 0);
    }
    return result;
}

int cli_opt_bool(cli_args *a, const char *key, int dflt, int *out)
{
    const char *v = cli_opt(a, key);
    *out = dflt;
    if (!v) return 0;
    if (!strcmp(v, "true") || !strcmp(v, "TRUE") || !strcmp(v, "True") || !strcmp(v, "1")) *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "FALSE") || !strcmp(v, "False") || !strcmp(v, "0")) *out = 0;
    else {
        fprintf(stderr, "mtp: option --%s expects true or false, got '%s'\n", key, v);
        return -1;
    }
    return 0;
}

int cli_opt_double(cli_args *a, const char *key, double dflt, double *out)
{
    const char *v = cli_opt(a, key);
    *out = dflt;
    if (!v) return 0;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x)) {
        fprintf(stderr, "mtp: option --%s expects a number, got '%s'\n", key, v);
        return -1;
    }
    *out = x;
    return 0;
}

int cli_opt_int(cli_args *a, const char *key, int dflt, int *out)
{
    const char *v = cli_opt(a, key);
    *out = dflt;
    if (!v) return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < -2147483647L || x > 2147483647L) {
        fprintf(stderr, "mtp: option --%s expects an integer, got '%s'\n", key, v);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int cli_check_unused(cli_args *a, const char *cmd)
{
    int bad = 0;
    for (int i = 0; i < a->n_opt; i++)
        if (!a->used[i]) {
            fprintf(stderr, "mtp %s: unknown option --%s (see `mtp help %s`)\n", cmd, a->key[i], cmd);
            bad = 1;
        }
    return bad;
}

void cli_free_type_map(char **m, int n)
{
    if (!m) return;
    for (int i = 0; i < n; i++) free(m[i]);
    free(m);
}

int cli_read_options(cli_args *a, mtp_read_options *opt, mtp_format *fmt, char ***storage)
{
    memset(opt, 0, sizeof *opt);
    *fmt = MTP_FORMAT_AUTO;
    *storage = NULL;
    const char *f = cli_opt(a, "input_format");
    if (f) {
        int v = mtp_format_from_name(f);
        if (v < 0) {
            fprintf(stderr, "mtp: unknown input format '%s'\n", f);
            return -1;
        }
        *fmt = (mtp_format)v;
    }
    const char *order = cli_opt(a, "type_order");
    if (order && *order) {
        int n = 1;
        for (const char *c = order; *c; c++) n += *c == ',';
        char **m = calloc((size_t)n, sizeof *m);
        if (!m) return -1;
        const char *s = order;
        for (int i = 0; i < n; i++) {
            const char *e = strchr(s, ',');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            m[i] = strndup(s, len);
            s = e ? e + 1 : s + len;
        }
        opt->type_map = (const char *const *)m;
        opt->type_map_count = n;
        *storage = m;
    }
    if (cli_opt_bool(a, "absolute_types", 0, &opt->absolute_types)) return -1;
    if (cli_opt_bool(a, "save_nonconverged", 0, &opt->save_nonconverged)) return -1;
    return 0;
}

int cli_output_format(const char *cmd, const char *name, const char *out_path, mtp_format *fmt)
{
    int f = name ? mtp_format_from_name(name) : MTP_FORMAT_AUTO;
    if (f < 0) {
        fprintf(stderr, "mtp %s: unknown output format '%s'\n", cmd, name);
        return -1;
    }
    if (f == MTP_FORMAT_AUTO) f = mtp_format_guess(out_path);
    *fmt = f == MTP_FORMAT_AUTO ? MTP_FORMAT_CFG : (mtp_format)f;
    return 0;
}

void cli_report(const char *cmd, const mtp_error *err)
{
    fprintf(stderr, "mtp %s: %s\n", cmd, err->message[0] ? err->message : mtp_status_string(err->status));
}
