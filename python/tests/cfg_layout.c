/* SPDX-License-Identifier: BSD-3-Clause */
/* Prints the layout of the records that the Python package mirrors with
 * ctypes (name offset, one per line; "sizeof" last), compiled against the
 * header so that test_layout.py notices any change to openmtp.h. */
#include <openmtp/openmtp.h>
#include <stddef.h>
#include <stdio.h>

#define FIELD(type, field) printf(#type " " #field " %zu\n", offsetof(type, field))
#define SIZE(type) printf(#type " sizeof %zu\n", sizeof(type))

int main(void)
{
    FIELD(mtp_cfg, n_atoms); FIELD(mtp_cfg, lattice); FIELD(mtp_cfg, types);
    FIELD(mtp_cfg, positions); FIELD(mtp_cfg, forces); FIELD(mtp_cfg, site_energies);
    FIELD(mtp_cfg, charges); FIELD(mtp_cfg, magmom); FIELD(mtp_cfg, en_der_magmom);
    FIELD(mtp_cfg, ghost); FIELD(mtp_cfg, nbh_grades);
#ifdef MTP_CFG_FORCE_WEIGHTS_PRESENT
    FIELD(mtp_cfg, force_weights);
#endif
    FIELD(mtp_cfg, has_energy); FIELD(mtp_cfg, energy); FIELD(mtp_cfg, has_stress);
    FIELD(mtp_cfg, stress); FIELD(mtp_cfg, n_features); FIELD(mtp_cfg, features);
    SIZE(mtp_cfg);
    FIELD(mtp_feature, key); FIELD(mtp_feature, value); SIZE(mtp_feature);
    FIELD(mtp_error, status); FIELD(mtp_error, message); SIZE(mtp_error);
    FIELD(mtp_read_options, type_map); FIELD(mtp_read_options, type_map_count);
    FIELD(mtp_read_options, absolute_types); FIELD(mtp_read_options, save_nonconverged);
    SIZE(mtp_read_options);
    FIELD(mtp_write_options, no_loss); FIELD(mtp_write_options, keep_ghosts);
    FIELD(mtp_write_options, type_map); FIELD(mtp_write_options, type_map_count);
    SIZE(mtp_write_options);
    FIELD(mtp_potential_info, level); FIELD(mtp_potential_info, has_al_state);
    FIELD(mtp_potential_info, radial_type); FIELD(mtp_potential_info, min_dist);
    FIELD(mtp_potential_info, scaling); SIZE(mtp_potential_info);
    FIELD(mtp_basis_options, species_labels); FIELD(mtp_basis_options, min_dist);
    FIELD(mtp_basis_options, radial_funcs_count); SIZE(mtp_basis_options);
    FIELD(mtp_active_set_options, mode); FIELD(mtp_active_set_options, threshold);
    FIELD(mtp_active_set_options, weight_scaling); FIELD(mtp_active_set_options, fresh_inverse);
    SIZE(mtp_active_set_options);
    return 0;
}
