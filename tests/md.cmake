# SPDX-License-Identifier: BSD-3-Clause
# Production-MD drivers (label md): the beta-Li3PS4 diffusion driver, run tiny
# on a stand-in cell (about 20 s on 1 core).
if(NOT TARGET lmp_mtp)
  return()
endif()
add_test(NAME md_diffusion_driver
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/md/test_diffusion_md.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR}
                 ${CMAKE_BINARY_DIR}/tests/md-diffusion-work)
set_tests_properties(md_diffusion_driver PROPERTIES LABELS "md" SKIP_RETURN_CODE 77)
