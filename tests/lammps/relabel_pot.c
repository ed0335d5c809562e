/* SPDX-License-Identifier: BSD-3-Clause */
/* relabel_pot IN OUT LABEL...: copy a potential with new species labels
 * (e.g. atomic numbers), for the element-name tests of pair_style mtp.
 * Exit 77 when IN does not exist. */
#include "openmtp/openmtp.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: relabel_pot IN OUT LABEL...\n");
        return 2;
    }
    FILE *fp = fopen(argv[1], "r");
    if (!fp) {
        printf("SKIP: %s not found\n", argv[1]);
        return 77;
    }
    fclose(fp);
    mtp_error err;
    mtp_potential *pot = NULL;
    if (mtp_potential_read(argv[1], &pot, &err) != MTP_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int n = argc - 3;
    if (n != mtp_potential_species_count(pot)) {
        fprintf(stderr, "%s has %d species, %d labels given\n", argv[1],
                mtp_potential_species_count(pot), n);
        return 1;
    }
    int labels[64];
    for (int i = 0; i < n && i < 64; i++) labels[i] = atoi(argv[3 + i]);
    if (mtp_potential_set_species(pot, n, labels, &err) != MTP_OK ||
        mtp_potential_write(pot, argv[2], &err) != MTP_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    mtp_potential_destroy(pot);
    printf("wrote %s\n", argv[2]);
    return 0;
}
