# SPDX-License-Identifier: BSD-3-Clause
# The active-learning loop of examples/active_learning (label al_loop): the
# stand-in demo converges; a run killed with kill -9 while labelling and
# restarted ends with the same dataset; frames the labeller fails on are left
# out and counted.  About a minute each on 2 cores; al_loop_resume compares
# with the run of al_loop_converge.  They skip (77) when lmp_mtp, mtp-label or
# `mtp select_add` are not built.
if(NOT TARGET lmp_mtp)
  return()
endif()
set(OMTP_AL_WORK ${CMAKE_BINARY_DIR}/tests/al_loop)
foreach(mode converge resume failed)
  add_test(NAME al_loop_${mode}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_al_loop.sh ${mode}
                   ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
  set_tests_properties(al_loop_${mode} PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77 TIMEOUT 900)
endforeach()
set_tests_properties(al_loop_converge PROPERTIES FIXTURES_SETUP al_loop_ref)
set_tests_properties(al_loop_resume PROPERTIES FIXTURES_REQUIRED al_loop_ref)
# Uniaxial strains (STRAINS entries Fx/Fy/Fz) in the exploration runs (seconds).
add_test(NAME al_loop_uniaxial
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_uniaxial.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
set_tests_properties(al_loop_uniaxial PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77 FIXTURES_REQUIRED al_loop_ref)
# Cell sizes N and AxBxC (SIZES entries) of the exploration runs (seconds).
add_test(NAME al_loop_sizes
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_sizes.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
set_tests_properties(al_loop_sizes PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77 FIXTURES_REQUIRED al_loop_ref)
# A loop whose scratch directory was lost continues from its committed frames
# (examples/li3ps4-beta/restore_campaign.sh + reuse_labelled.py; about a minute).
add_test(NAME al_loop_restore
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_restore.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
set_tests_properties(al_loop_restore PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77 FIXTURES_REQUIRED al_loop_ref TIMEOUT 900)
# commit_campaign.sh against the reference loop, from a throw-away git repository: commits only
# --out, the labelled frames in order, nothing without news, no temporaries, a failed commit retried.
add_test(NAME al_loop_commit_campaign
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_commit_campaign.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
set_tests_properties(al_loop_commit_campaign PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77 FIXTURES_REQUIRED al_loop_ref)
# Several structures (STRUCTURES=NAME=FILE) and heating (HEAT_STEPS) in the exploration (seconds).
add_test(NAME al_loop_structures
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_structures.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
set_tests_properties(al_loop_structures PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77 FIXTURES_REQUIRED al_loop_ref)
# reuse_labelled.py on hand-written frames: tolerance, types, cell, bad input, --unused (a second).
add_test(NAME al_loop_reuse_labelled
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_reuse_labelled.sh ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
set_tests_properties(al_loop_reuse_labelled PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77)
# examples/li3ps4-beta/check_supercell.sh: the shipped potential graded on the 384-atom cell (seconds).
add_test(NAME al_loop_check_supercell
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_check_supercell.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
set_tests_properties(al_loop_check_supercell PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77)
# examples/li3ps4-beta/testset: held-out frames per run, STRUCTURES=NAME=FILE for runs _c<NAME> (seconds).
add_test(NAME al_loop_testset
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_testset.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR} ${OMTP_AL_WORK})
set_tests_properties(al_loop_testset PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77)
# round_errors.sh reads the whole set's MAE, not the last mlearn_group's (a second).
add_test(NAME al_loop_round_errors
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/al_loop/test_round_errors.sh ${CMAKE_BINARY_DIR}/bin ${PROJECT_SOURCE_DIR}
                 ${CMAKE_BINARY_DIR}/tests/al-round-errors-work)
set_tests_properties(al_loop_round_errors PROPERTIES LABELS "al_loop" SKIP_RETURN_CODE 77)
