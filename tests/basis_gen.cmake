# SPDX-License-Identifier: BSD-3-Clause
# Basis generator (libmtp/src/basis_gen.c): same invariant set as the MLIP-3
# templates 06..28, MLIP structural constraints, rotation invariance at other levels.
add_executable(test_basis_gen ${CMAKE_CURRENT_LIST_DIR}/test_basis_gen.c)
target_link_libraries(test_basis_gen PRIVATE openmtp_static m)
target_include_directories(test_basis_gen PRIVATE ${PROJECT_SOURCE_DIR}/libmtp/src)
add_test(NAME basis_gen COMMAND test_basis_gen ${OPENMTP_SHARED_DATA})
set_tests_properties(basis_gen PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit;regression")
