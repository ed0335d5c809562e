# SPDX-License-Identifier: BSD-3-Clause
# Batched grading rows (mtp_sites_eval's d_params) and batched grades
# (mtp_grade_site_rows) against the single-site path and finite differences.
add_executable(test_grade_batch ${CMAKE_CURRENT_LIST_DIR}/test_grade_batch.c)
target_link_libraries(test_grade_batch PRIVATE openmtp_static m)
target_include_directories(test_grade_batch PRIVATE ${CMAKE_SOURCE_DIR}/libmtp/src)
target_compile_definitions(test_grade_batch PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME grade_batch COMMAND test_grade_batch)
set_tests_properties(grade_batch PROPERTIES LABELS "unit")
