# SPDX-License-Identifier: BSD-3-Clause
# Shipped potentials (potentials/mlearn-*) reproduce the test errors their
# READMEs state (needs ../shared/data/mlearn; skipped without it).
file(GLOB omtp_shipped_dirs CONFIGURE_DEPENDS LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/potentials/mlearn-*)
foreach(omtp_dir ${omtp_shipped_dirs})
  get_filename_component(omtp_name ${omtp_dir} NAME)
  add_test(NAME potential_${omtp_name}
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/potentials/check_readme.sh $<TARGET_FILE:mtp> ${omtp_dir}
                   ${OPENMTP_SHARED_DATA})
  set_tests_properties(potential_${omtp_name} PROPERTIES SKIP_RETURN_CODE 77 LABELS "regression;potentials")
endforeach()

# Shipped potentials that carry their training and test sets (potentials/Li3PS4-beta-L16:
# train.cfg, test.cfg) reproduce the train and test errors of their READMEs.
file(GLOB omtp_selfcontained_dirs CONFIGURE_DEPENDS LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/potentials/Li3PS4-*)
foreach(omtp_dir ${omtp_selfcontained_dirs})
  get_filename_component(omtp_name ${omtp_dir} NAME)
  add_test(NAME potential_${omtp_name}
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/potentials/check_shipped_errors.sh $<TARGET_FILE:mtp> ${omtp_dir})
  set_tests_properties(potential_${omtp_name} PROPERTIES LABELS "regression;potentials")
endforeach()
