# SPDX-License-Identifier: BSD-3-Clause
# `mtp train` keeps the species named by `mtp init --species`; the trained
# potential then takes element names in LAMMPS (pair_coeff * * Li P S).
add_test(NAME train_species COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli/test_train_species.sh $<TARGET_FILE:mtp>
         ${OPENMTP_SHARED_DATA} ${CMAKE_BINARY_DIR}/tests/species-work)
set_tests_properties(train_species PROPERTIES SKIP_RETURN_CODE 77 LABELS "cli;train"
                     FIXTURES_SETUP omtp_trained_species)
if(TARGET lmp_mtp AND TARGET lammps_efs_check)
  # LAMMPS with element names == the library with the labels 3, 15, 16
  add_test(NAME lammps_trained_species_elements
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/lammps/run_efs.sh $<TARGET_FILE:lmp_mtp>
            $<TARGET_FILE:lammps_efs_check> 1 ${CMAKE_CURRENT_LIST_DIR}/lammps/elements.in
            ${CMAKE_BINARY_DIR}/tests/species-work/pot_LiPS.almtp ${CMAKE_BINARY_DIR}/tests/species-lammps
            -var e1 Li -var e2 P -var e3 S -- --map 3,15,16)
  set_tests_properties(lammps_trained_species_elements PROPERTIES LABELS lammps SKIP_RETURN_CODE 77
                       FIXTURES_REQUIRED omtp_trained_species ENVIRONMENT "OMP_NUM_THREADS=1" TIMEOUT 300)
endif()
