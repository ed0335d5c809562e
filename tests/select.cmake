# SPDX-License-Identifier: BSD-3-Clause
# Active-set selection: the library against its definition (brute-force
# determinants, MaxVol stability) and `mtp select_add` against MLIP-3.
add_executable(test_select ${CMAKE_CURRENT_LIST_DIR}/test_select.c)
target_link_libraries(test_select PRIVATE openmtp_static m)
target_include_directories(test_select PRIVATE ${CMAKE_SOURCE_DIR}/libmtp/src)
target_compile_definitions(test_select PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME select COMMAND test_select)
set_tests_properties(select PROPERTIES LABELS "unit")

add_test(NAME select_add COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/select/test_select_add.sh $<TARGET_FILE:mtp>
         ${OPENMTP_SHARED_DATA} ${CMAKE_BINARY_DIR}/tests/select-work)
set_tests_properties(select_add PROPERTIES SKIP_RETURN_CODE 77 LABELS "cli;regression")
if(OPENMTP_SANITIZE)
  set_tests_properties(select_add PROPERTIES ENVIRONMENT OPENMTP_SANITIZED=1)
endif()

# fresh_inverse: rows that make MLIP-3's rank-one updates drift grade <=
# threshold after the selection; the same checks without it must fail
add_executable(test_select_fresh ${CMAKE_CURRENT_LIST_DIR}/test_select_fresh.c)
target_link_libraries(test_select_fresh PRIVATE openmtp_static m)
target_include_directories(test_select_fresh PRIVATE ${CMAKE_SOURCE_DIR}/libmtp/src)
target_compile_definitions(test_select_fresh PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME select_fresh_inverse COMMAND test_select_fresh)
add_test(NAME select_fresh_inverse_off COMMAND test_select_fresh --off)
set_tests_properties(select_fresh_inverse select_fresh_inverse_off PROPERTIES LABELS "unit")
set_tests_properties(select_fresh_inverse_off PROPERTIES WILL_FAIL TRUE)
