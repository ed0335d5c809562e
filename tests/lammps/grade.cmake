# SPDX-License-Identifier: BSD-3-Clause
# Extrapolation control (pair_style mtp ... extrapolation yes / pair_style mlip
# extrapolation_control=true): LAMMPS grades vs `mtp calculate_grade`, saved
# configurations, threshold_break.  Included by tests/lammps.cmake (label lammps).
if(NOT TARGET mtp)
  return()
endif()
set(OMTP_POT_GRADE ${OMTP_DATA}/examples/calculate_grade/pot.almtp)
set(OMTP_CFG_GRADE ${OMTP_DATA}/examples/calculate_grade/train.cfg)
set(OMTP_CFG_TEST3 ${OMTP_DATA}/multispecies/test3.cfg)

# openmtp_lammps_grade(name np pot cfg index style)
function(openmtp_lammps_grade name np pot cfg index style)
  if(np GREATER 1 AND NOT OMTP_MPI_OK)
    return()
  endif()
  add_test(NAME lammps_${name}
    COMMAND sh ${OMTP_LMP_TDIR}/run_grade.sh $<TARGET_FILE:lmp_mtp> $<TARGET_FILE:mtp>
            ${np} ${pot} ${cfg} ${index} ${OMTP_LMP_WORK}/${name} ${style})
  set_tests_properties(lammps_${name} PROPERTIES LABELS lammps SKIP_RETURN_CODE 77
                       PASS_REGULAR_EXPRESSION "OPENMTP_GRADE_OK" FAIL_REGULAR_EXPRESSION "FAIL: "
                       ENVIRONMENT "MPIEXEC=${OMTP_MPIRUN};OMP_NUM_THREADS=1"
                       PROCESSORS ${np} TIMEOUT 300)
endfunction()

# neighbourhood mode (Li, MLIP-3 example): both train.cfg structures, 1 and 2 ranks
foreach(idx 1 2)
  openmtp_lammps_grade(grade_nbh_${idx} 1 ${OMTP_POT_GRADE} ${OMTP_CFG_GRADE} ${idx} mtp)
  openmtp_lammps_grade(grade_nbh_${idx}_np2 2 ${OMTP_POT_GRADE} ${OMTP_CFG_GRADE} ${idx} mtp)
endforeach()
openmtp_lammps_grade(grade_nbh_mlip_style 1 ${OMTP_POT_GRADE} ${OMTP_CFG_GRADE} 2 mlip)
# configuration mode (3 species): the site rows are summed over ranks
foreach(idx 1 2)
  openmtp_lammps_grade(grade_cfg_${idx} 1 ${OMTP_POT_3} ${OMTP_CFG_TEST3} ${idx} mlip)
  openmtp_lammps_grade(grade_cfg_${idx}_np2 2 ${OMTP_POT_3} ${OMTP_CFG_TEST3} ${idx} mtp)
endforeach()

# the same through mtpplugin.so (compute mtp/atom registered by the plugin)
if(TARGET mtpplugin AND OPENMTP_LAMMPS_PLUGIN_HOST)
  foreach(np 1 2)
    if(np GREATER 1 AND NOT OMTP_MPI_OK)
      continue()
    endif()
    add_test(NAME lammps_plugin_grade_nbh_2_np${np}
      COMMAND sh ${OMTP_LMP_TDIR}/run_grade.sh ${OPENMTP_LAMMPS_PLUGIN_HOST} $<TARGET_FILE:mtp>
              ${np} ${OMTP_POT_GRADE} ${OMTP_CFG_GRADE} 2 ${OMTP_LMP_WORK}/plugin_grade_nbh_2_np${np} mtp)
    set_tests_properties(lammps_plugin_grade_nbh_2_np${np} PROPERTIES LABELS "lammps;plugin"
                         SKIP_RETURN_CODE 77
                         PASS_REGULAR_EXPRESSION "OPENMTP_GRADE_OK" FAIL_REGULAR_EXPRESSION "FAIL: "
                         ENVIRONMENT "MPIEXEC=${OMTP_MPIRUN};OMP_NUM_THREADS=1;OPENMTP_PLUGIN=$<TARGET_FILE:mtpplugin>"
                         PROCESSORS ${np} TIMEOUT 300)
  endforeach()
endif()

# saving during MD: save_every, save_max, grade_every without stale grades,
# threshold_break messages naming the file; whole frames in exactly s.cfg (run_save.sh)
foreach(np 1 2)
  if(np GREATER 1 AND NOT OMTP_MPI_OK)
    continue()
  endif()
  add_test(NAME lammps_grade_save_np${np}
    COMMAND sh ${OMTP_LMP_TDIR}/run_save.sh $<TARGET_FILE:lmp_mtp> ${np} ${OMTP_POT_GRADE}
            ${OMTP_LMP_WORK}/grade_save_np${np})
  set_tests_properties(lammps_grade_save_np${np} PROPERTIES LABELS lammps SKIP_RETURN_CODE 77
                       PASS_REGULAR_EXPRESSION "OPENMTP_SAVE_OK" FAIL_REGULAR_EXPRESSION "FAIL: "
                       ENVIRONMENT "MPIEXEC=${OMTP_MPIRUN};OMP_NUM_THREADS=1"
                       PROCESSORS ${np} TIMEOUT 300)
endforeach()

# save_cut cluster|periodic vs `mtp cut_extrapolative_nbh` (skips without the cut library)
foreach(np 1 2)
  if(np GREATER 1 AND NOT OMTP_MPI_OK)
    continue()
  endif()
  # 128 atoms (saved whole by the whole rule) and 1024 atoms (a real periodic cut)
  foreach(cells 4 8)
    set(_n lammps_grade_save_cut_np${np})
    if(cells EQUAL 8)
      set(_n lammps_grade_save_cut_big_np${np})
    endif()
    add_test(NAME ${_n}
      COMMAND sh ${OMTP_LMP_TDIR}/run_save_cut.sh $<TARGET_FILE:lmp_mtp> $<TARGET_FILE:mtp> ${np}
              ${OMTP_POT_GRADE} ${OMTP_LMP_WORK}/grade_save_cut_${cells}_np${np} ${cells})
    set_tests_properties(${_n} PROPERTIES LABELS lammps SKIP_RETURN_CODE 77
                         PASS_REGULAR_EXPRESSION "OPENMTP_SAVE_CUT_OK" FAIL_REGULAR_EXPRESSION "FAIL: "
                         SKIP_REGULAR_EXPRESSION "SKIP: "
                         ENVIRONMENT "MPIEXEC=${OMTP_MPIRUN};OMP_NUM_THREADS=1"
                         PROCESSORS ${np} TIMEOUT 300)
  endforeach()
endforeach()

# threshold_break: a clean LAMMPS error naming the grade, the step and the file written
set(_e -in ${OMTP_LMP_TDIR}/errors.in -echo none -var a 2.6 -var pc "* *")
openmtp_lammps_run(error_grade_break 1 ${OMTP_POT_GRADE}
  PASS "ERROR: pair_style mtp: extrapolation grade [0-9.e+]+ exceeds threshold_break 10 at step 0; this configuration was appended to pre.cfg \\(frame 1 saved in this run\\)"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_GRADE} extrapolation yes threshold_save 2 threshold_break 10 save_extrapolative_to pre.cfg")
openmtp_lammps_run(error_grade_break_np2 2 ${OMTP_POT_GRADE}
  PASS "ERROR: pair_style mlip: extrapolation grade [0-9.e+]+ exceeds threshold_break 10 at step 0; this configuration was appended to pre.cfg \\(frame 1 saved in this run\\)"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_GRADE} extrapolation_control=true extrapolation_control:threshold_save=2 extrapolation_control:threshold_break=10 extrapolation_control:save_extrapolative_to=pre.cfg")
# compute mtp/atom without extrapolation control / without pair_style mtp; bad save keywords
openmtp_lammps_run(error_compute_mtp_atom_off 1 ${OMTP_POT_GRADE} PASS "compute mtp/atom: pair_style mtp has no extrapolation control"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_GRADE}" -var extra "compute g all mtp/atom")
openmtp_lammps_run(error_compute_mtp_atom_no_pair 1 - PASS "compute mtp/atom needs pair_style mtp or mlip"
  ARGS ${_e} -var ps "zero 3.0" -var pc "* *" -var extra "compute g all mtp/atom")
openmtp_lammps_run(error_save_cut_cfg_mode 1 ${OMTP_POT_3} PASS "save_cut needs per-atom grades|needs a libopenmtp with mtp_cut_cluster"
  ARGS ${_e} -var ntypes 3 -var ps "mtp ${OMTP_POT_3} extrapolation yes save_cut cluster")
openmtp_lammps_run(error_save_every 1 ${OMTP_POT_GRADE} PASS "save_every= expects an integer >= 1 .*got '0'"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_GRADE} extrapolation_control=true save_every=0")

# a potential without an active-learning state
openmtp_lammps_run(error_grade_no_state 1 ${OMTP_POT_2} PASS "extrapolation control needs the active-learning"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_2} extrapolation yes")

# the example (examples/lammps/in.extrapolation): heating until fix halt on the grade
openmtp_lammps_run(example_extrapolation 1 ${OMTP_POT_GRADE} PASS "OPENMTP_EXAMPLE_DONE" FAIL "ERROR"
  ARGS -in ${PROJECT_SOURCE_DIR}/examples/lammps/in.extrapolation -var data ${OMTP_DATA})
openmtp_lammps_run(example_extrapolation_np2 2 ${OMTP_POT_GRADE} PASS "OPENMTP_EXAMPLE_DONE" FAIL "ERROR"
  ARGS -in ${PROJECT_SOURCE_DIR}/examples/lammps/in.extrapolation -var data ${OMTP_DATA})
