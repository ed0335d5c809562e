# SPDX-License-Identifier: BSD-3-Clause
# Library tests: regression against MLIP-3, derivatives, invariances, bad input, file round trips.
foreach(t mlip_regression derivatives invariance bad_input cfg_io)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    add_executable(test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    target_link_libraries(test_${t} PRIVATE openmtp_static m)
    target_compile_definitions(test_${t} PRIVATE _POSIX_C_SOURCE=200809L)
    add_test(NAME ${t} COMMAND test_${t} ${OPENMTP_SHARED_DATA})
    set_tests_properties(${t} PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit")
  endif()
endforeach()
set_tests_properties(mlip_regression PROPERTIES LABELS "regression")
