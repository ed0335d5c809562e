# SPDX-License-Identifier: BSD-3-Clause
# Per-atom force weights (AtomData column force_weight): loss, gradient vs FD,
# normal equations, weight-0 atoms without influence, .cfg round trip.
add_executable(test_train_force_weights ${CMAKE_CURRENT_LIST_DIR}/test_train_force_weights.c)
target_include_directories(test_train_force_weights PRIVATE ${CMAKE_SOURCE_DIR}/fitter)
target_link_libraries(test_train_force_weights PRIVATE openmtp_fitter openmtp_static m)
target_compile_definitions(test_train_force_weights PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME train_force_weights COMMAND test_train_force_weights)
set_tests_properties(train_force_weights PROPERTIES LABELS "unit;train")
