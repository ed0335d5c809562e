# SPDX-License-Identifier: BSD-3-Clause
# Trainer: parameter derivatives (libmtp/src/jacobian.c) by finite differences.
add_executable(test_train_jacobian ${CMAKE_CURRENT_LIST_DIR}/test_train_jacobian.c)
target_link_libraries(test_train_jacobian PRIVATE openmtp_static m)
add_test(NAME train_jacobian COMMAND test_train_jacobian)
set_tests_properties(train_jacobian PROPERTIES LABELS "unit;train")
# Rescale by scaling the normal equations (no re-evaluation) == direct build.
add_executable(test_train_rescale ${CMAKE_CURRENT_LIST_DIR}/test_train_rescale.c)
target_link_libraries(test_train_rescale PRIVATE openmtp_fitter openmtp_static m)
add_test(NAME train_rescale COMMAND test_train_rescale ${OPENMTP_SHARED_DATA}/mlearn/Si/test.cfg)
set_tests_properties(train_rescale PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit;train")
# Normal equations of the trainer == J^T W J summed from the public design rows.
add_executable(test_train_normal ${CMAKE_CURRENT_LIST_DIR}/test_train_normal.c)
target_link_libraries(test_train_normal PRIVATE openmtp_fitter openmtp_static m)
add_test(NAME train_normal COMMAND test_train_normal ${OPENMTP_SHARED_DATA}/mlearn/Si/test.cfg
         ${OPENMTP_SHARED_DATA}/mlip3/multispecies/train60.cfg)
set_tests_properties(train_normal PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit;train")
# End-to-end mtp train: accuracy threshold, checkpoint/resume, MPI 1 vs 2 ranks.
add_executable(test_train_e2e ${CMAKE_CURRENT_LIST_DIR}/test_train_e2e.c)
target_link_libraries(test_train_e2e PRIVATE openmtp_fitter openmtp_static m)
target_compile_definitions(test_train_e2e PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME train_e2e COMMAND test_train_e2e $<TARGET_FILE:mtp> ${OPENMTP_SHARED_DATA}
         ${CMAKE_BINARY_DIR}/tests/train-work "${MPIEXEC_EXECUTABLE}")
set_tests_properties(train_e2e PROPERTIES SKIP_RETURN_CODE 77 LABELS "train;regression" TIMEOUT 600)
# mtp train refuses what it cannot fit (targets, options, stray species) and
# resumes after kill -9 to the bit-identical result (issue 10 items 5, 6).
foreach(check data options species resume)
  add_test(NAME train_hardening_${check}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/hardening/test_train_hardening.sh $<TARGET_FILE:mtp>
                   ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/tests/train-hardening-${check} ${check})
  set_tests_properties(train_hardening_${check} PROPERTIES LABELS "cli;train;hardening" TIMEOUT 300)
endforeach()
# Default weights derived from the training set, validation stopping (and its resume),
# on a slice of mlearn Si (seconds).
add_executable(test_train_defaults ${CMAKE_CURRENT_LIST_DIR}/test_train_defaults.c)
target_link_libraries(test_train_defaults PRIVATE openmtp_fitter openmtp_static m)
target_compile_definitions(test_train_defaults PRIVATE _POSIX_C_SOURCE=200809L)
add_test(NAME train_defaults COMMAND test_train_defaults $<TARGET_FILE:mtp> ${OPENMTP_SHARED_DATA}
         ${CMAKE_BINARY_DIR}/tests/train-defaults-work)
set_tests_properties(train_defaults PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit;train" TIMEOUT 300)
# (Not in sanitizer builds: the fixture is a Release build's bytes, and the instrumented
# build's floating point differs in the last bits, as for train_e2e.)
if(NOT OPENMTP_SANITIZE)
  # Explicit MLIP-3 weights (and --valid_cfgs) give the potential of the code before the
  # default weights, byte for byte (fixture from that build).
  add_test(NAME train_mlip_weights_unchanged
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/cli/test_train_mlip_weights.sh $<TARGET_FILE:mtp> ${OPENMTP_SHARED_DATA}
                   ${CMAKE_BINARY_DIR}/tests/train-mlip-weights ${CMAKE_CURRENT_LIST_DIR}/data/train_defaults/mlip_weights_before.almtp)
  set_tests_properties(train_mlip_weights_unchanged PROPERTIES SKIP_RETURN_CODE 77 LABELS "cli;train;regression" TIMEOUT 300)
endif()
# Loss gradient on the kernel's stages (param_grad.c) == the scalar
# forward-over-reverse of jacobian.c to 1e-12, and == finite differences.
add_executable(test_train_param_grad ${CMAKE_CURRENT_LIST_DIR}/test_train_param_grad.c)
target_include_directories(test_train_param_grad PRIVATE ${PROJECT_SOURCE_DIR}/libmtp/src)
target_link_libraries(test_train_param_grad PRIVATE openmtp_static m)
add_test(NAME train_param_grad COMMAND test_train_param_grad)
set_tests_properties(train_param_grad PROPERTIES LABELS "unit;train")
