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
