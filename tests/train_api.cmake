# SPDX-License-Identifier: BSD-3-Clause
# The public training interface (libopenmtp_train, openmtp/openmtp_train.h): the same
# potential as `mtp train`, no printing, a clean stop that resumes to the uninterrupted
# result, errors.  Python access: tests/python.cmake (python_train_api).
if(TARGET openmtp_train AND TARGET mtp)
  add_executable(test_train_api ${CMAKE_CURRENT_LIST_DIR}/test_train_api.c)
  target_link_libraries(test_train_api PRIVATE openmtp_train openmtp m)
  target_compile_definitions(test_train_api PRIVATE _POSIX_C_SOURCE=200809L)
  add_test(NAME train_api COMMAND test_train_api $<TARGET_FILE:mtp> ${OPENMTP_SHARED_DATA}
           ${CMAKE_BINARY_DIR}/tests/train-api-work)
  set_tests_properties(train_api PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit;train" TIMEOUT 600)
endif()
# mtp_select_add == mtp select_add (MLIP-3 form and batch form), errors.
if(TARGET openmtp_train AND TARGET mtp)
  add_executable(test_select_api ${CMAKE_CURRENT_LIST_DIR}/test_select_api.c)
  target_link_libraries(test_select_api PRIVATE openmtp_train openmtp m)
  target_compile_definitions(test_select_api PRIVATE _POSIX_C_SOURCE=200809L)
  add_test(NAME select_api COMMAND test_select_api $<TARGET_FILE:mtp> ${OPENMTP_SHARED_DATA}
           ${CMAKE_BINARY_DIR}/tests/select-api-work)
  set_tests_properties(select_api PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit;train;select" TIMEOUT 300)
endif()
