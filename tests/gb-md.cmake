# SPDX-License-Identifier: BSD-3-Clause
# examples/li3ps4-gb production MD tooling (issue 13 items 4-7), label gb-md:
#   gb_md_region_walk / gb_md_region_bulk: python -m openmtp.region_diffusion against an
#     analytic anisotropic random walk with region-dependent D (crossings, periodic images,
#     drift), and a bulk region file;
#   gb_md_report: make md (tiny serial run) + boundaries + report on the cell of
#     gb_build_S5-010-010-twist, and the report's refusal of bad input.
set(_gb_dir ${PROJECT_SOURCE_DIR}/examples/li3ps4-gb)
if(EXISTS ${_gb_dir}/tests/test_region_diffusion.py)
  find_program(OPENMTP_GB_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(OPENMTP_GB_PYTHON)
    foreach(_m walk bulk)
      add_test(NAME gb_md_region_${_m}
               COMMAND ${OPENMTP_GB_PYTHON} -B ${_gb_dir}/tests/test_region_diffusion.py
                       ${PROJECT_BINARY_DIR}/tests/gb-work/region-${_m} ${PROJECT_SOURCE_DIR}/python ${_m})
      set_tests_properties(gb_md_region_${_m} PROPERTIES LABELS "gb;gb-md" SKIP_RETURN_CODE 77)
    endforeach()
    if(TARGET lmp_mtp)
      add_test(NAME gb_md_report
               COMMAND ${OPENMTP_GB_PYTHON} -B ${_gb_dir}/tests/test_md_report.py
                       ${PROJECT_BINARY_DIR}/tests/gb-work/md-report
                       ${PROJECT_BINARY_DIR}/tests/gb-work/build-S5-010-010-twist
                       $<TARGET_FILE:lmp_mtp>
                       ${PROJECT_SOURCE_DIR}/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp)
      set_tests_properties(gb_md_report PROPERTIES LABELS "gb;gb-md" SKIP_RETURN_CODE 77
                           FIXTURES_REQUIRED gb_cell ENVIRONMENT "OMP_NUM_THREADS=1")
    endif()
  endif()
endif()
