/* SPDX-License-Identifier: BSD-3-Clause */
/* init: an untrained potential of any level from the library's generator. */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char HELP_INIT[] =
    "mtp init --level L --species Li,P,S [options] -o POT.almtp\n"
    "  Creates an untrained MTP of level L (any even or odd level >= 2) with the\n"
    "  library's own enumeration of moment-tensor contractions; levels 6..28 give\n"
    "  the same basis functions as MLIP-3's templates.  Species are element\n"
    "  symbols (labels become atomic numbers, so `pair_coeff * * Li P S` and\n"
    "  configurations with atomic-number types work) or integer labels 0,1,2.\n"
    "  --level=L                 basis level (required)\n"
    "  --species=LIST            comma-separated species (default: 0, one species)\n"
    "  --cutoff=R                cutoff radius max_dist in A (default 5.0)\n"
    "  --min_dist=D              inner radius of the radial basis (default 2.0;\n"
    "                            training sets it from the data)\n"
    "  --radial_basis_size=N     Chebyshev polynomials per radial function (8)\n"
    "  --radial_funcs=K          radial functions (default: as MLIP's template)\n"
    "  -o FILE, --output=FILE    where to write the potential\n";

int cmd_init(const char *cmd, cli_args *a)
{
    int level, R, K;
    double cutoff, min_dist;
    const char *species = cli_opt(a, "species");
    const char *out = cli_opt(a, "output|save_to");
    if (cli_opt_int(a, "level", -1, &level) || cli_opt_double(a, "cutoff|max_dist", 5.0, &cutoff) ||
        cli_opt_double(a, "min_dist|min-dist", 2.0, &min_dist) ||
        cli_opt_int(a, "radial_basis_size|radial-basis-size", 8, &R) ||
        cli_opt_int(a, "radial_funcs|radial-funcs|radial_funcs_count", 0, &K) || cli_check_unused(a, cmd))
        return 2;
    if (a->n_pos == 1 && !out) out = a->pos[0];
    if (level < 0 || !out || a->n_pos > (out == a->pos[0] ? 1 : 0)) {
        fprintf(stderr, "usage: %s", HELP_INIT);
        return 2;
    }
    int labels[128], S = 0;
    if (species) {
        const char *s = species;
        while (*s) {
            const char *e = strchr(s, ',');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            char tok[16];
            if (len == 0 || len >= sizeof tok || S == 128) {
                fprintf(stderr, "mtp %s: malformed --species list '%s'\n", cmd, species);
                return 2;
            }
            memcpy(tok, s, len);
            tok[len] = '\0';
            int v;
            if (isdigit((unsigned char)tok[0])) {
                char *end;
                v = (int)strtol(tok, &end, 10);
                if (*end || v < 0 || v > 99) {
                    fprintf(stderr, "mtp %s: species label '%s' must be 0..99 or an element symbol\n", cmd, tok);
                    return 2;
                }
            } else if (!(v = mtp_element_number(tok))) {
                fprintf(stderr, "mtp %s: unknown element '%s'\n", cmd, tok);
                return 2;
            }
            labels[S++] = v;
            s = e ? e + 1 : s + len;
        }
    } else {
        labels[S++] = 0;
    }
    mtp_basis_options opt = {level, S, labels, min_dist, cutoff, R, K};
    mtp_potential *pot;
    mtp_error err;
    if (mtp_potential_generate(&opt, &pot, &err)) {
        cli_report(cmd, &err);
        return 1;
    }
    mtp_potential_info in = mtp_potential_get_info(pot);
    int rc = 0;
    if (mtp_potential_write(pot, out, &err)) {
        cli_report(cmd, &err);
        rc = 1;
    } else {
        printf("level %d MTP with %d species: %d radial functions x %d, %d basic moments, %d contractions, "
               "%d basis functions, %d parameters -> %s\n",
               level, S, in.radial_funcs_count, in.radial_basis_size, in.basic_count, in.times_count,
               in.scalar_count, S * S * in.radial_funcs_count * in.radial_basis_size + S + in.scalar_count, out);
    }
    mtp_potential_destroy(pot);
    return rc;
}
