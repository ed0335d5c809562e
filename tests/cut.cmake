# SPDX-License-Identifier: BSD-3-Clause
# Cutting extrapolative neighbourhoods (libmtp/src/cut_nbh.c, `mtp cut_extrapolative_nbh`).
add_executable(test_cut ${CMAKE_CURRENT_LIST_DIR}/test_cut.c)
target_link_libraries(test_cut PRIVATE openmtp_static m)
target_compile_definitions(test_cut PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME cut COMMAND test_cut ${OPENMTP_SHARED_DATA})
set_tests_properties(cut PROPERTIES LABELS "unit;regression")
# The command against MLIP-3's example output, byte for byte, and its periodic mode.
add_test(NAME cut_cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli/test_cut_cli.sh $<TARGET_FILE:mtp>
         ${OPENMTP_SHARED_DATA} ${CMAKE_BINARY_DIR}/tests/cut-work)
set_tests_properties(cut_cli PROPERTIES SKIP_RETURN_CODE 77 LABELS "cli;regression")
