# SPDX-License-Identifier: BSD-3-Clause
# The Python package (python/): its tests run with Debian's /usr/bin/python3 (which sees
# python3-ase and python3-numpy) on the build tree's package, build/python/openmtp.
# Each exits 77 (skipped) when ASE/numpy or the reference data are absent.
if(TARGET openmtp AND TARGET mtp AND OPENMTP_PYTHON AND NOT OPENMTP_SANITIZE
   AND EXISTS ${PROJECT_SOURCE_DIR}/python/CMakeLists.txt)
  set(_pytests ${PROJECT_SOURCE_DIR}/python/tests)
  add_executable(python_cfg_layout ${_pytests}/cfg_layout.c)
  target_link_libraries(python_cfg_layout PRIVATE openmtp)
  file(READ ${PROJECT_SOURCE_DIR}/libmtp/include/openmtp/openmtp.h _omtp_header)
  if(_omtp_header MATCHES "force_weights")
    target_compile_definitions(python_cfg_layout PRIVATE MTP_CFG_FORCE_WEIGHTS_PRESENT)
  endif()
  set(_pyenv
      "PYTHONPATH=${PROJECT_BINARY_DIR}/python:${_pytests}"
      "OPENMTP_SHARED_DATA=${OPENMTP_SHARED_DATA}"
      "OPENMTP_TEST_WORK=${PROJECT_BINARY_DIR}/tests/python-work"
      "OPENMTP_CFG_LAYOUT=$<TARGET_FILE:python_cfg_layout>"
      "OMP_NUM_THREADS=1")
  foreach(t calculator efs_cli dynamics cfg_io grade errors layout diffusion search train_api lammps_dump)
    add_test(NAME python_${t} COMMAND ${OPENMTP_PYTHON} -B ${_pytests}/test_${t}.py
             WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
    set_tests_properties(python_${t} PROPERTIES LABELS "python" SKIP_RETURN_CODE 77
                         ENVIRONMENT "${_pyenv}")
  endforeach()
  # cmake --install into a scratch prefix, import the installed package, move the prefix
  add_test(NAME python_install
           COMMAND bash ${_pytests}/test_install.sh ${PROJECT_BINARY_DIR} ${OPENMTP_PYTHON}
                   ${PROJECT_BINARY_DIR}/tests/python-install-work ${PROJECT_SOURCE_DIR})
  set_tests_properties(python_install PROPERTIES LABELS "python;install" SKIP_RETURN_CODE 77)
endif()
