# SPDX-License-Identifier: BSD-3-Clause
# Plots (python/openmtp/plot*.py; `mtp check_errors --parity_to`), run with Debian's
# /usr/bin/python3 on the build tree's package.  They label their own small Li data sets with
# the shipped potentials (no reference data needed); skipped (77) without ASE/numpy or,
# except for the error cases, matplotlib.  The pictures stay in tests/plots-work/.
if(TARGET openmtp AND TARGET mtp AND OPENMTP_PYTHON AND NOT OPENMTP_SANITIZE
   AND EXISTS ${PROJECT_SOURCE_DIR}/python/tests/test_plot_parity.py)
  set(_pytests ${PROJECT_SOURCE_DIR}/python/tests)
  foreach(t parity learning grades)
    add_test(NAME plots_${t} COMMAND ${OPENMTP_PYTHON} -B ${_pytests}/test_plot_${t}.py
             WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
    set_tests_properties(plots_${t} PROPERTIES LABELS "python;plots" SKIP_RETURN_CODE 77
                         ENVIRONMENT "PYTHONPATH=${PROJECT_BINARY_DIR}/python:${_pytests};OPENMTP_TEST_WORK=${PROJECT_BINARY_DIR}/tests/plots-work;OMP_NUM_THREADS=1")
  endforeach()
endif()
if(TARGET openmtp AND TARGET mtp AND OPENMTP_PYTHON AND NOT OPENMTP_SANITIZE
   AND EXISTS ${PROJECT_SOURCE_DIR}/python/tests/test_plot_install.sh)
  add_test(NAME plots_install
           COMMAND bash ${PROJECT_SOURCE_DIR}/python/tests/test_plot_install.sh ${PROJECT_BINARY_DIR}
                   ${OPENMTP_PYTHON} ${PROJECT_BINARY_DIR}/tests/plots-install-work ${PROJECT_SOURCE_DIR})
  set_tests_properties(plots_install PROPERTIES LABELS "python;plots;install" SKIP_RETURN_CODE 77)
endif()
