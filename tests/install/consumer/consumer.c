/* SPDX-License-Identifier: BSD-3-Clause */
/* A program outside the tree that uses the installed library. */
#include <openmtp/openmtp.h>
#include <stdio.h>

int main(void)
{
    int labels[2] = {14, 6};
    mtp_basis_options opt = {10, 2, labels, 1.5, 4.5, 8, 0};
    mtp_potential *pot;
    mtp_error err;
    if (mtp_potential_generate(&opt, &pot, &err) != MTP_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    printf("openmtp %s: level %d, %d parameters\n", mtp_version(), mtp_potential_get_info(pot).level,
           mtp_potential_param_count(pot));
    mtp_potential_destroy(pot);
    return 0;
}
