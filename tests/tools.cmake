# tools/: helper scripts of long runs (seconds).
add_test(NAME tools_commit_results
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/tools/test_commit_results.sh ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/tests/tools)
set_tests_properties(tools_commit_results PROPERTIES LABELS "tools")
