# SPDX-License-Identifier: BSD-3-Clause
# beta-Li3PS4 physics checks (label physics): the RDF code against analytic
# cases (seconds) and `make -C examples/li3ps4-beta/physics report` on a tiny
# stand-in with the shipped L16 potential (about 10 s of CPU).
if(OPENMTP_PYTHON AND TARGET openmtp)
  add_test(NAME physics_rdf_analytic COMMAND ${OPENMTP_PYTHON} -B ${PROJECT_SOURCE_DIR}/python/tests/test_rdf.py
           WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
  set_tests_properties(physics_rdf_analytic PROPERTIES LABELS "physics;python" SKIP_RETURN_CODE 77
                       ENVIRONMENT "PYTHONPATH=${PROJECT_BINARY_DIR}/python;OPENMTP_TEST_WORK=${PROJECT_BINARY_DIR}/tests/physics-rdf-work")
  add_test(NAME physics_aimd_start COMMAND ${OPENMTP_PYTHON} -B ${CMAKE_CURRENT_LIST_DIR}/physics/test_aimd_start.py
           ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/tests/physics-aimd-start-work)
  set_tests_properties(physics_aimd_start PROPERTIES LABELS "physics;python"
                       ENVIRONMENT "PYTHONPATH=${PROJECT_BINARY_DIR}/python")
endif()
if(TARGET lmp_mtp)
  add_test(NAME physics_report
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/physics/test_physics_report.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/tests/physics-report-work)
  set_tests_properties(physics_report PROPERTIES LABELS "physics" SKIP_RETURN_CODE 77)
  # results.sh: a diffusion run saved half-way, restored on an empty WORKDIR, continues exactly
  add_test(NAME physics_results
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/physics/test_physics_results.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/tests/physics-results-work)
  set_tests_properties(physics_results PROPERTIES LABELS "physics" SKIP_RETURN_CODE 77)
endif()
add_test(NAME physics_aimd_driver
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/physics/test_aimd_driver.sh ${PROJECT_SOURCE_DIR}
                 ${CMAKE_BINARY_DIR}/tests/physics-aimd-work)
set_tests_properties(physics_aimd_driver PROPERTIES LABELS "physics")
# aimd.py save / restore: a running AIMD kept in the repository continues on another machine
add_test(NAME physics_aimd_keep
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/physics/test_aimd_keep.sh ${PROJECT_SOURCE_DIR}
                 ${CMAKE_BINARY_DIR}/tests/physics-aimd-keep-work)
set_tests_properties(physics_aimd_keep PROPERTIES LABELS "physics")
