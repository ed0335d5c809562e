# SPDX-License-Identifier: BSD-3-Clause
# Potential-file validation (issue 10 item 2; LAMMPS header line, issue 12 item 6): broken
# potentials are refused at read time with file:line, within bounded memory.
foreach(check basis scaling magnitude memory lines active_set range lammps_header)
  add_test(NAME potential_validation_${check}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/potential_validation/test_potential_validation.sh
                   $<TARGET_FILE:mtp> ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/tests/potential-validation-${check} ${check})
  set_tests_properties(potential_validation_${check} PROPERTIES LABELS "cli;hardening;potential_validation")
endforeach()
