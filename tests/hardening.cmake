# SPDX-License-Identifier: BSD-3-Clause
# No silent garbage (issue 10, items 3, 4, 8, 9): results, writes, empty inputs, 0-atom configurations.
foreach(check nonfinite writes empty zero_atoms)
  add_test(NAME hardening_${check}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/hardening/test_hardening.sh $<TARGET_FILE:mtp> ${PROJECT_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/tests/hardening-${check} ${check})
  set_tests_properties(hardening_${check} PROPERTIES LABELS "cli;hardening")
endforeach()
if(TARGET lmp_mtp)
  add_test(NAME hardening_lammps
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/hardening/test_hardening.sh $<TARGET_FILE:mtp> ${PROJECT_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/tests/hardening-lammps lammps $<TARGET_FILE:lmp_mtp>)
  set_tests_properties(hardening_lammps PROPERTIES LABELS "lammps;hardening")
endif()
# Issue 10, item 1: every basis of a lattice gives the same results at the same cost; thin, degenerate and
# non-finite cells are errors (library: test_cell_reduction.c; CLI: hardening/test_geometry.sh).
add_executable(test_cell_reduction ${CMAKE_CURRENT_LIST_DIR}/test_cell_reduction.c)
target_link_libraries(test_cell_reduction PRIVATE openmtp_static m)
target_include_directories(test_cell_reduction PRIVATE ${PROJECT_SOURCE_DIR}/libmtp/src)
target_compile_definitions(test_cell_reduction PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME cell_reduction COMMAND test_cell_reduction)
set_tests_properties(cell_reduction PROPERTIES LABELS "unit;hardening")
add_test(NAME hardening_geometry
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/hardening/test_geometry.sh $<TARGET_FILE:mtp> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_BINARY_DIR}/tests/hardening-geometry)
set_tests_properties(hardening_geometry PROPERTIES LABELS "cli;hardening")
# Features through the no-loss text .cfg writer and the extended XYZ comment line (fuzz_reader's round-trip findings).
add_executable(test_cfg_features ${CMAKE_CURRENT_LIST_DIR}/test_cfg_features.c)
target_link_libraries(test_cfg_features PRIVATE openmtp_static m)
target_compile_definitions(test_cfg_features PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME cfg_features COMMAND test_cfg_features)
set_tests_properties(cfg_features PROPERTIES LABELS "unit;hardening;formats")
