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
