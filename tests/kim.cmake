# SPDX-License-Identifier: BSD-3-Clause
# OpenKIM model driver tests (label "kim"; kim/README.md): the model through
# the KIM API against libopenmtp, and LAMMPS `kim init` / `kim interactions`
# against pair_style mtp on 1 and 2 MPI ranks, to 1e-10 relative.
set(OMTP_KIM_TDIR ${CMAKE_CURRENT_LIST_DIR}/kim)
if(NOT OPENMTP_KIM_DRIVER_NAME OR NOT TARGET "${OPENMTP_KIM_DRIVER_NAME}")
  add_test(NAME kim_driver COMMAND sh -c
    "echo 'SKIP: the KIM model driver is not built (KIM-API not found: apt-get install libkim-api-dev, or OPENMTP_BUILD_KIM=OFF)'; exit 77")
  set_tests_properties(kim_driver PROPERTIES LABELS kim SKIP_RETURN_CODE 77)
  return()
endif()

set(OMTP_KIM_MODEL OpenMTP_MTP_SiC_demo)
set(OMTP_KIM_POT ${PROJECT_SOURCE_DIR}/potentials/SiC-tersoff-standin/SiC-10.almtp)
set(OMTP_KIM_WORK ${CMAKE_CURRENT_BINARY_DIR}/kim)
file(MAKE_DIRECTORY ${OMTP_KIM_WORK})
# KIM's configuration file (its "user collection"), written here so that
# concurrent tests never race to create it (KIM would write one in $HOME)
file(WRITE ${OMTP_KIM_WORK}/kim-api-config
  "model-drivers-dir = ${OMTP_KIM_WORK}/user-collection/model-drivers\n"
  "portable-models-dir = ${OMTP_KIM_WORK}/user-collection/portable-models\n"
  "simulator-models-dir = ${OMTP_KIM_WORK}/user-collection/simulator-models\n")
# the build-tree collections and that configuration file
set(OMTP_KIM_ENV
  "KIM_API_MODEL_DRIVERS_DIR=${OPENMTP_KIM_COLLECTION}/model-drivers"
  "KIM_API_PORTABLE_MODELS_DIR=${OPENMTP_KIM_COLLECTION}/portable-models"
  "KIM_API_CONFIGURATION_FILE=${OMTP_KIM_WORK}/kim-api-config"
  "OMP_NUM_THREADS=1")

# KIM's own check of an item's shared library (no undefined symbols, schema)
foreach(item ${OPENMTP_KIM_DRIVER_NAME} ${OMTP_KIM_MODEL})
  add_test(NAME kim_shared_library_${item}
    COMMAND KIM-API::shared-library-test $<TARGET_FILE:${item}>)
  set_tests_properties(kim_shared_library_${item} PROPERTIES LABELS kim)
endforeach()

add_executable(kim_vs_library ${OMTP_KIM_TDIR}/kim_vs_library.c)
target_link_libraries(kim_vs_library PRIVATE KIM-API::kim-api openmtp_static m)
add_test(NAME kim_vs_library
  COMMAND kim_vs_library ${OMTP_KIM_MODEL} ${OMTP_KIM_POT} Si C
  WORKING_DIRECTORY ${OMTP_KIM_WORK})
set_tests_properties(kim_vs_library PROPERTIES LABELS kim SKIP_RETURN_CODE 77
  ENVIRONMENT "${OMTP_KIM_ENV}" PASS_REGULAR_EXPRESSION "PASS" FAIL_REGULAR_EXPRESSION "FAIL")

# LAMMPS: Debian's lmp (KIM package) against lmp_mtp (same LAMMPS version)
find_program(OMTP_KIM_LMP NAMES lmp lmp_serial lmp_mpi)
find_program(OMTP_KIM_MPIRUN NAMES mpirun mpiexec)
if(TARGET lmp_mtp)
  set(_lmp ${OMTP_KIM_LMP})
  if(NOT _lmp)
    set(_lmp lmp)    # the script skips (77) when it is missing
  endif()
  foreach(np 1 2)
    if(np GREATER 1 AND NOT OMTP_KIM_MPIRUN)
      continue()
    endif()
    add_test(NAME kim_lammps_vs_pair_mtp_np${np}
      COMMAND sh ${OMTP_KIM_TDIR}/run_kim_vs_mtp.sh ${_lmp} $<TARGET_FILE:lmp_mtp> ${np}
              ${OMTP_KIM_MODEL} ${OMTP_KIM_POT} ${OMTP_KIM_WORK}/lammps_np${np})
    set_tests_properties(kim_lammps_vs_pair_mtp_np${np} PROPERTIES LABELS "kim;lammps"
      SKIP_RETURN_CODE 77 PROCESSORS ${np} TIMEOUT 300
      ENVIRONMENT "${OMTP_KIM_ENV};MPIEXEC=${OMTP_KIM_MPIRUN}")
  endforeach()
  # types named the other way round (type 1 = C): the same mapping in both
  add_test(NAME kim_lammps_vs_pair_mtp_swapped_types
    COMMAND sh ${OMTP_KIM_TDIR}/run_kim_vs_mtp.sh ${_lmp} $<TARGET_FILE:lmp_mtp> 1
            ${OMTP_KIM_MODEL} ${OMTP_KIM_POT} ${OMTP_KIM_WORK}/lammps_swapped "C Si")
  set_tests_properties(kim_lammps_vs_pair_mtp_swapped_types PROPERTIES LABELS "kim;lammps"
    SKIP_RETURN_CODE 77 TIMEOUT 300 ENVIRONMENT "${OMTP_KIM_ENV}")
endif()

# Test-only models (tests/kim/models, built into the test work directory by a
# fixture, never installed): atomic-number labels without a species file, and
# parameter files the driver must refuse with a message.
set(OMTP_KIM_TEST_MODELS ${OMTP_KIM_WORK}/test-models)
add_test(NAME kim_test_models_setup
  COMMAND sh ${OMTP_KIM_TDIR}/build_test_models.sh $<TARGET_FILE:kim_vs_library>
          ${PROJECT_SOURCE_DIR}/kim/model ${OMTP_KIM_POT} ${OMTP_KIM_TEST_MODELS} ${CMAKE_COMMAND})
set_tests_properties(kim_test_models_setup PROPERTIES LABELS kim FIXTURES_SETUP omtp_kim_test_models
  TIMEOUT 600 ENVIRONMENT "${OMTP_KIM_ENV}")
set(OMTP_KIM_TEST_ENV
  "KIM_API_MODEL_DRIVERS_DIR=${OPENMTP_KIM_COLLECTION}/model-drivers"
  "KIM_API_PORTABLE_MODELS_DIR=${OMTP_KIM_TEST_MODELS}/build/portable-models"
  "KIM_API_CONFIGURATION_FILE=${OMTP_KIM_WORK}/kim-api-config")
add_test(NAME kim_atomic_number_labels
  COMMAND kim_vs_library OpenMTP_test_atomic_numbers ${OMTP_KIM_TEST_MODELS}/SiC-10-Z.almtp Si C
  WORKING_DIRECTORY ${OMTP_KIM_WORK})
add_test(NAME kim_create_errors
  COMMAND sh ${OMTP_KIM_TDIR}/run_create_errors.sh $<TARGET_FILE:kim_vs_library> ${OMTP_KIM_WORK}/errors)
set_tests_properties(kim_atomic_number_labels PROPERTIES PASS_REGULAR_EXPRESSION "PASS"
  FAIL_REGULAR_EXPRESSION "FAIL")
set_tests_properties(kim_atomic_number_labels kim_create_errors PROPERTIES LABELS kim
  FIXTURES_REQUIRED omtp_kim_test_models ENVIRONMENT "${OMTP_KIM_TEST_ENV}")
