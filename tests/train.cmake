# Trainer: parameter derivatives (libmtp/src/jacobian.c) by finite differences.
add_executable(test_train_jacobian ${CMAKE_CURRENT_LIST_DIR}/test_train_jacobian.c)
target_link_libraries(test_train_jacobian PRIVATE openmtp_static m)
add_test(NAME train_jacobian COMMAND test_train_jacobian)
set_tests_properties(train_jacobian PROPERTIES LABELS "unit;train")
