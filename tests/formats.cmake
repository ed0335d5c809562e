# SPDX-License-Identifier: BSD-3-Clause
# Configuration file formats other than .cfg (libmtp/src/fmt_*.c).
add_executable(test_formats ${CMAKE_CURRENT_LIST_DIR}/test_formats.c)
target_link_libraries(test_formats openmtp_static m)
add_test(NAME formats COMMAND test_formats ${OPENMTP_SHARED_DATA} ${CMAKE_CURRENT_LIST_DIR}/data)
set_tests_properties(formats PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit;formats")
