# Labelling: CP2K reader checks, CP2K MD reader, the `mtp-label` command (label/).
add_test(NAME cp2k_reader_checks
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/label/test_cp2k_reader.sh $<TARGET_FILE:mtp>
                 ${CMAKE_CURRENT_LIST_DIR}/data ${CMAKE_BINARY_DIR}/tests/cp2k-reader-work)
set_tests_properties(cp2k_reader_checks PROPERTIES LABELS "label;formats")
