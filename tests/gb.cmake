# SPDX-License-Identifier: BSD-3-Clause
# examples/li3ps4-gb: the CSL boundary builder for beta-Li3PS4 (Debian's python3-pymatgen).
# Each test builds one boundary without a potential (seconds) and checks stoichiometry, charge,
# minimum distances, intact PS4 units, the orientation of both grains and that the LAMMPS data
# file and the .cfg agree; the 'broken' tests break a built cell and require the check to fail.
# Exit 77 (skipped) when pymatgen is missing.
set(_gb_dir ${PROJECT_SOURCE_DIR}/examples/li3ps4-gb)
if(EXISTS ${_gb_dir}/tests/test_gb.py)
  find_program(OPENMTP_GB_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(OPENMTP_GB_PYTHON)
    foreach(_b S5-001-120-tilt S5-010-010-twist S3-110-111-tilt S5-001-001-twist
               S5-001-2m10-tilt S5-010-201-twist)
      add_test(NAME gb_build_${_b}
               COMMAND ${OPENMTP_GB_PYTHON} -B ${_gb_dir}/tests/test_gb.py
                       ${PROJECT_BINARY_DIR}/tests/gb-work/build-${_b} build ${_b})
      set_tests_properties(gb_build_${_b} PROPERTIES LABELS "gb" SKIP_RETURN_CODE 77)
    endforeach()
    # the broken-input tests start from the cell of gb_build_S5-010-010-twist
    set_tests_properties(gb_build_S5-010-010-twist PROPERTIES FIXTURES_SETUP gb_cell)
    if(TARGET lmp_mtp AND TARGET mtp)
      # the two output files give the same energy and forces (mtp on the .cfg, lmp_mtp on the data)
      add_test(NAME gb_lammps_cfg_agree
               COMMAND ${OPENMTP_GB_PYTHON} -B ${_gb_dir}/tests/test_gb.py
                       ${PROJECT_BINARY_DIR}/tests/gb-work/lammps-agree lammps-agree
                       S5-010-010-twist ${PROJECT_BINARY_DIR}/tests/gb-work/build-S5-010-010-twist
                       $<TARGET_FILE:mtp> $<TARGET_FILE:lmp_mtp>
                       ${PROJECT_SOURCE_DIR}/examples/li3ps4-beta/frames/seed.cfg)
      set_tests_properties(gb_lammps_cfg_agree PROPERTIES LABELS "gb" SKIP_RETURN_CODE 77
                           FIXTURES_REQUIRED gb_cell ENVIRONMENT "OMP_NUM_THREADS=1")
    endif()
    # one round of the boundary active-learning campaign without CP2K (about 30 s)
    if(TARGET lmp_mtp AND TARGET mtp)
      add_test(NAME gb_campaign_smoke
               COMMAND bash ${_gb_dir}/tests/test_campaign.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR}
                       ${PROJECT_BINARY_DIR}/tests/gb-work/campaign)
      set_tests_properties(gb_campaign_smoke PROPERTIES LABELS "gb" SKIP_RETURN_CODE 77 TIMEOUT 600
                           ENVIRONMENT "OMP_NUM_THREADS=1")
      # item 3's DFT boundary energy pipeline with the MTP as labeller (about 20 s)
      add_test(NAME gb_gamma_dft
               COMMAND bash ${_gb_dir}/tests/test_gamma_dft.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR}
                       ${PROJECT_BINARY_DIR}/tests/gb-work/gamma-dft)
      set_tests_properties(gb_gamma_dft PROPERTIES LABELS "gb" SKIP_RETURN_CODE 77 TIMEOUT 600
                           ENVIRONMENT "OMP_NUM_THREADS=1")
      # the cut-check pipeline with the MTP as labeller: exact at buffer = cutoff (seconds)
      add_test(NAME gb_cut_check_compare
               COMMAND bash ${_gb_dir}/tests/test_cut_check.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR}
                       ${PROJECT_BINARY_DIR}/tests/gb-work/cut-check)
      set_tests_properties(gb_cut_check_compare PROPERTIES LABELS "gb" SKIP_RETURN_CODE 77 TIMEOUT 600
                           ENVIRONMENT "OMP_NUM_THREADS=1")
    endif()
    add_test(NAME gb_amorphous_slab COMMAND ${OPENMTP_GB_PYTHON} -B ${_gb_dir}/tests/test_gb.py slab)
    set_tests_properties(gb_amorphous_slab PROPERTIES LABELS "gb" SKIP_RETURN_CODE 77)
    # the melt-quench of build_amorphous.py fails its amorphisation check when the PS4 framework
    # did not move (a cold, short "melt"; seconds)
    add_test(NAME gb_amorphous_not_amorphised
             COMMAND bash ${_gb_dir}/tests/test_amorphous_check.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR}
                     ${PROJECT_BINARY_DIR}/tests/gb-work/amorphous-check)
    set_tests_properties(gb_amorphous_not_amorphised PROPERTIES LABELS "gb" SKIP_RETURN_CODE 77
                         ENVIRONMENT "OMP_NUM_THREADS=1")
    foreach(_m drop-s drop-li close-pair split-ps4 wrong-angle wrong-axis rotated-grain
               file-mismatch type-mismatch)
      add_test(NAME gb_broken_${_m}
               COMMAND ${OPENMTP_GB_PYTHON} -B ${_gb_dir}/tests/test_gb.py
                       ${PROJECT_BINARY_DIR}/tests/gb-work/broken-${_m} broken
                       S5-010-010-twist ${_m}
                       ${PROJECT_BINARY_DIR}/tests/gb-work/build-S5-010-010-twist)
      set_tests_properties(gb_broken_${_m} PROPERTIES LABELS "gb" SKIP_RETURN_CODE 77
                           FIXTURES_REQUIRED gb_cell)
    endforeach()
  endif()
endif()
