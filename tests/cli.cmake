# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of the `mtp` command.
add_test(NAME cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli/test_cli.sh $<TARGET_FILE:mtp> ${OPENMTP_SHARED_DATA}
         ${CMAKE_BINARY_DIR}/tests/cli-work)
set_tests_properties(cli PROPERTIES SKIP_RETURN_CODE 77 LABELS "cli;regression")
