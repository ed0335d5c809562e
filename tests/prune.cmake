# SPDX-License-Identifier: BSD-3-Clause
# mtp prune (issue 11 item 3): pruned potentials evaluate as the full one with
# the removed coefficients zeroed, round-trip, report their losses and counts
# truthfully, respect the loss bound, are read by LAMMPS; bad options fail.
# Needs ../shared/data/mlearn (skipped without it).
add_executable(test_prune ${CMAKE_CURRENT_LIST_DIR}/test_prune.c)
target_link_libraries(test_prune PRIVATE openmtp_fitter openmtp_static m)
add_test(NAME prune_unit COMMAND test_prune ${OPENMTP_SHARED_DATA}
         ${PROJECT_SOURCE_DIR}/potentials/mlearn-Mo-L16/mlearn-Mo-L16.almtp)
set_tests_properties(prune_unit PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit;prune")
foreach(check options remove0 table al)
  add_test(NAME prune_cli_${check}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/prune/test_prune_cli.sh $<TARGET_FILE:mtp> ${PROJECT_SOURCE_DIR}
                   ${OPENMTP_SHARED_DATA} ${CMAKE_BINARY_DIR}/tests/prune-${check} ${check})
  set_tests_properties(prune_cli_${check} PROPERTIES SKIP_RETURN_CODE 77 LABELS "cli;prune" TIMEOUT 300
                       ENVIRONMENT "OMP_NUM_THREADS=1")
endforeach()
set_tests_properties(prune_cli_table PROPERTIES FIXTURES_SETUP prune_file)
# LAMMPS reads the pruned file and agrees with the library (tests/lammps/run_efs.sh).
if(TARGET lmp_mtp AND TARGET lammps_efs_check)
  add_test(NAME prune_lammps
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/lammps/run_efs.sh $<TARGET_FILE:lmp_mtp> $<TARGET_FILE:lammps_efs_check> 1
            ${CMAKE_CURRENT_LIST_DIR}/lammps/crystal.in ${CMAKE_BINARY_DIR}/tests/prune-table/pruned.almtp
            ${CMAKE_BINARY_DIR}/tests/prune-lammps -var lat bcc -var a 3.16 -var mass 95.95)
  set_tests_properties(prune_lammps PROPERTIES SKIP_RETURN_CODE 77 LABELS "lammps;prune" FIXTURES_REQUIRED prune_file
                       ENVIRONMENT "OMP_NUM_THREADS=1" TIMEOUT 300)
endif()
