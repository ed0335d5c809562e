# SPDX-License-Identifier: BSD-3-Clause
# LAMMPS tests (label "lammps"): lmp_mtp vs the library, MPI, hybrid, errors,
# NVE / minimisation physics, and the examples.  Included by tests/CMakeLists.txt.
if(NOT TARGET lmp_mtp)
  return()
endif()

set(OMTP_LMP_TDIR ${CMAKE_CURRENT_LIST_DIR}/lammps)
set(OMTP_LMP_WORK ${CMAKE_CURRENT_BINARY_DIR}/lammps)
file(MAKE_DIRECTORY ${OMTP_LMP_WORK})
set(OMTP_DATA ${OPENMTP_SHARED_DATA}/mlip3)
set(OMTP_POT_LI ${OMTP_DATA}/examples/calculate_efs/pot.almtp)
set(OMTP_POT_3 ${OMTP_DATA}/multispecies/pot10.almtp)
set(OMTP_POT_2 ${OMTP_DATA}/multispecies/learned.mtp)
set(OMTP_POT_UNTRAINED ${OMTP_DATA}/templates/06.almtp)

add_executable(lammps_efs_check ${OMTP_LMP_TDIR}/lammps_efs_check.c)
target_link_libraries(lammps_efs_check PRIVATE openmtp_static m)

set(OMTP_MPI_OK OFF)
find_program(OMTP_MPIRUN NAMES mpirun mpiexec)
if(OMTP_MPIRUN)
  set(OMTP_MPI_OK ON)
endif()

# openmtp_lammps_efs(name np input pot [VARS -var a b ...] [CHECK opts...])
function(openmtp_lammps_efs name np input pot)
  cmake_parse_arguments(A "" "" "VARS;CHECK" ${ARGN})
  if(np GREATER 1 AND NOT OMTP_MPI_OK)
    return()
  endif()
  add_test(NAME lammps_${name}
    COMMAND sh ${OMTP_LMP_TDIR}/run_efs.sh $<TARGET_FILE:lmp_mtp>
            $<TARGET_FILE:lammps_efs_check> ${np} ${OMTP_LMP_TDIR}/${input} ${pot}
            ${OMTP_LMP_WORK}/${name} ${A_VARS} -- ${A_CHECK})
  set_tests_properties(lammps_${name} PROPERTIES LABELS lammps SKIP_RETURN_CODE 77
                       ENVIRONMENT "MPIEXEC=${OMTP_MPIRUN};OMP_NUM_THREADS=1"
                       PROCESSORS ${np} TIMEOUT 300)
endfunction()

# openmtp_lammps_run(name np needed_file [PASS regex] [FAIL regex] ARGS lmp args...)
function(openmtp_lammps_run name np need)
  cmake_parse_arguments(A "" "PASS;FAIL" "ARGS" ${ARGN})
  if(np GREATER 1 AND NOT OMTP_MPI_OK)
    return()
  endif()
  add_test(NAME lammps_${name}
    COMMAND sh ${OMTP_LMP_TDIR}/run_lmp.sh ${OMTP_LMP_WORK}/${name} ${need} ${np}
            $<TARGET_FILE:lmp_mtp> ${A_ARGS})
  set_tests_properties(lammps_${name} PROPERTIES LABELS lammps SKIP_RETURN_CODE 77
                       SKIP_REGULAR_EXPRESSION "SKIP: "
                       ENVIRONMENT "MPIEXEC=${OMTP_MPIRUN};OMP_NUM_THREADS=1"
                       PROCESSORS ${np} TIMEOUT 300)
  if(A_PASS)
    set_tests_properties(lammps_${name} PROPERTIES PASS_REGULAR_EXPRESSION "${A_PASS}")
  endif()
  if(A_FAIL)
    set_tests_properties(lammps_${name} PROPERTIES FAIL_REGULAR_EXPRESSION "${A_FAIL}")
  endif()
endfunction()

# ---- energies, forces, virials, per-atom quantities vs the library (1e-10) ----
openmtp_lammps_efs(efs_li_bcc 1 li_bcc.in ${OMTP_POT_LI})
openmtp_lammps_efs(efs_li_triclinic 1 li_bcc_tri.in ${OMTP_POT_LI})
openmtp_lammps_efs(efs_li_isolated 1 li_isolated.in ${OMTP_POT_LI})
openmtp_lammps_efs(efs_mlip_style 1 mlip_style.in ${OMTP_POT_LI})
openmtp_lammps_efs(efs_3species 1 multi3_tri.in ${OMTP_POT_3}
  VARS -var m1 0 -var m2 1 -var m3 2)
openmtp_lammps_efs(efs_3species_permuted 1 multi3_tri.in ${OMTP_POT_3}
  VARS -var m1 2 -var m2 0 -var m3 1 CHECK --map 2,0,1)
openmtp_lammps_efs(efs_2species_names 1 nacl_species.in ${OMTP_POT_2} CHECK --map 1,0)
openmtp_lammps_efs(efs_overlay_zbl 1 li_overlay_zbl.in ${OMTP_POT_LI} CHECK --extra-run)
openmtp_lammps_efs(efs_hybrid_null 1 li_hybrid_null.in ${OMTP_POT_LI} CHECK --extra-run --map 0,-)
openmtp_lammps_efs(efs_mlip2_ini 1 mlip2_ini.in ${OMTP_POT_LI})
# element names with atomic-number labels: pot10 relabelled to Li(3) O(8) S(16)
add_executable(relabel_pot ${OMTP_LMP_TDIR}/relabel_pot.c)
target_link_libraries(relabel_pot PRIVATE openmtp_static m)
set(OMTP_POT_Z ${OMTP_LMP_WORK}/pot10_Z.almtp)
add_test(NAME lammps_relabel_setup
  COMMAND $<TARGET_FILE:relabel_pot> ${OMTP_POT_3} ${OMTP_POT_Z} 3 8 16)
set_tests_properties(lammps_relabel_setup PROPERTIES LABELS lammps SKIP_RETURN_CODE 77
                     FIXTURES_SETUP omtp_pot_z)
openmtp_lammps_efs(efs_element_names 1 elements.in ${OMTP_POT_Z}
  VARS -var e1 S -var e2 Li -var e3 O CHECK --map 16,3,8)
openmtp_lammps_efs(efs_element_names_np2 2 elements.in ${OMTP_POT_Z}
  VARS -var e1 O -var e2 S -var e3 Li CHECK --map 8,16,3)
set_tests_properties(lammps_efs_element_names lammps_efs_element_names_np2 PROPERTIES
                     FIXTURES_REQUIRED omtp_pot_z)
openmtp_lammps_run(error_element_absent 1 ${OMTP_POT_Z} PASS "element Na \\(Z=11\\) is not a species"
  ARGS -in ${OMTP_LMP_TDIR}/errors.in -echo none -var ntypes 3 -var ps "mtp ${OMTP_POT_Z}" -var pc "* * Li Na S")
set_tests_properties(lammps_error_element_absent PROPERTIES FIXTURES_REQUIRED omtp_pot_z)
# MPI: the same numbers on 1, 2 and 4 ranks
foreach(np 2 4)
  openmtp_lammps_efs(efs_li_triclinic_np${np} ${np} li_bcc_tri.in ${OMTP_POT_LI})
  openmtp_lammps_efs(efs_3species_np${np} ${np} multi3_tri.in ${OMTP_POT_3}
    VARS -var m1 0 -var m2 1 -var m3 2)
endforeach()
openmtp_lammps_efs(efs_overlay_zbl_np2 2 li_overlay_zbl.in ${OMTP_POT_LI} CHECK --extra-run)
openmtp_lammps_efs(efs_li_isolated_np4 4 li_isolated.in ${OMTP_POT_LI})
# the same against `mtp calculate_efs` (the CLI) when it is built
if(TARGET mtp)
  openmtp_lammps_efs(efs_cli_3species 1 multi3_tri.in ${OMTP_POT_3}
    VARS -var m1 0 -var m2 1 -var m3 2 CHECK --cli $<TARGET_FILE:mtp>)
  openmtp_lammps_efs(efs_cli_li_triclinic 1 li_bcc_tri.in ${OMTP_POT_LI}
    CHECK --cli $<TARGET_FILE:mtp>)
endif()

# plugin route: -DOPENMTP_LAMMPS_PLUGIN_HOST=<lmp built with PKG_PLUGIN>
# (tools/build-lammps-plugin-host.sh) together with -DLAMMPS_SOURCE_DIR
set(OPENMTP_LAMMPS_PLUGIN_HOST "" CACHE FILEPATH "LAMMPS executable with the PLUGIN package (tests)")
if(TARGET mtpplugin AND OPENMTP_LAMMPS_PLUGIN_HOST)
  foreach(case "li_bcc_tri.in;1" "multi3_tri.in;1" "li_overlay_zbl.in;1" "li_bcc_tri.in;2")
    list(GET case 0 inner)
    list(GET case 1 np)
    string(REPLACE ".in" "" tag ${inner})
    set(pot ${OMTP_POT_LI})
    if(inner STREQUAL "multi3_tri.in")
      set(pot ${OMTP_POT_3})
    endif()
    set(extra)
    if(inner STREQUAL "li_overlay_zbl.in")
      set(extra --extra-run)
    endif()
    add_test(NAME lammps_plugin_${tag}_np${np}
      COMMAND sh ${OMTP_LMP_TDIR}/run_efs.sh ${OPENMTP_LAMMPS_PLUGIN_HOST}
              $<TARGET_FILE:lammps_efs_check> ${np} ${OMTP_LMP_TDIR}/plugin_wrap.in ${pot}
              ${OMTP_LMP_WORK}/plugin_${tag}_np${np}
              -var inner ${inner} -var plugin $<TARGET_FILE:mtpplugin>
              -var m1 0 -var m2 1 -var m3 2 -- ${extra})
    set_tests_properties(lammps_plugin_${tag}_np${np} PROPERTIES LABELS "lammps;plugin"
                         SKIP_RETURN_CODE 77 PROCESSORS ${np} TIMEOUT 300
                         ENVIRONMENT "MPIEXEC=${OMTP_MPIRUN};OMP_NUM_THREADS=1")
  endforeach()
endif()

# Plugin coexistence (issue 12 item 6): mtpplugin.so loaded into the installed liblammps by a
# small host with a `plugin load` command (tests/lammps/plugin_host.cpp), and into the same
# host linked with a stand-in for the native ML-MTP package (fake_native_mtp.cpp: its own
# LAMMPS_NS::PairMTP registered as pair_style mtp, ComputeMTPAtom as compute mtp/atom).
if(TARGET mtpplugin AND TARGET openmtp_lammps_headers)
  find_package(LAMMPS CONFIG QUIET)    # LAMMPS::lammps is visible in pair_mtp/ only
  add_executable(lammps_plugin_host ${OMTP_LMP_TDIR}/plugin_host.cpp)
  target_link_libraries(lammps_plugin_host PRIVATE LAMMPS::lammps openmtp_lammps_headers ${CMAKE_DL_LIBS})
  add_library(lammps_fake_native_mtp SHARED ${OMTP_LMP_TDIR}/fake_native_mtp.cpp)
  target_link_libraries(lammps_fake_native_mtp PRIVATE LAMMPS::lammps openmtp_lammps_headers)
  add_executable(lammps_clash_host ${OMTP_LMP_TDIR}/plugin_host.cpp)
  target_compile_definitions(lammps_clash_host PRIVATE OPENMTP_FAKE_NATIVE_MTP)
  target_link_libraries(lammps_clash_host PRIVATE lammps_fake_native_mtp LAMMPS::lammps
                        openmtp_lammps_headers ${CMAKE_DL_LIBS})
  # openmtp_lammps_plugin_efs(name host np inner pot [vars...]): ${inner} after plugin load
  function(openmtp_lammps_plugin_efs name host np inner pot)
    if(np GREATER 1 AND NOT OMTP_MPI_OK)
      return()
    endif()
    add_test(NAME lammps_${name}
      COMMAND sh ${OMTP_LMP_TDIR}/run_efs.sh $<TARGET_FILE:${host}>
              $<TARGET_FILE:lammps_efs_check> ${np} ${OMTP_LMP_TDIR}/plugin_wrap.in ${pot}
              ${OMTP_LMP_WORK}/${name} -var inner ${inner} -var plugin $<TARGET_FILE:mtpplugin>
              ${ARGN} --)
    set_tests_properties(lammps_${name} PROPERTIES LABELS "lammps;plugin" SKIP_RETURN_CODE 77
                         PROCESSORS ${np} TIMEOUT 300
                         ENVIRONMENT "MPIEXEC=${OMTP_MPIRUN};OMP_NUM_THREADS=1")
  endfunction()
  # no clash: mtp, mlip and openmtp are all OpenMTP's
  openmtp_lammps_plugin_efs(plugin_host_mtp lammps_plugin_host 1 li_bcc_tri.in ${OMTP_POT_LI})
  openmtp_lammps_plugin_efs(plugin_host_mlip lammps_plugin_host 1 mlip_style.in ${OMTP_POT_LI})
  openmtp_lammps_plugin_efs(plugin_host_openmtp lammps_plugin_host 1 li_bcc_tri.in ${OMTP_POT_LI}
                            -var mtp_style openmtp)
  # clash: openmtp and mlip are OpenMTP's (same numbers as the library, 1 and 2 ranks) ...
  openmtp_lammps_plugin_efs(plugin_clash_openmtp lammps_clash_host 1 li_bcc_tri.in ${OMTP_POT_LI}
                            -var mtp_style openmtp)
  openmtp_lammps_plugin_efs(plugin_clash_openmtp_np2 lammps_clash_host 2 li_bcc_tri.in ${OMTP_POT_LI}
                            -var mtp_style openmtp)
  openmtp_lammps_plugin_efs(plugin_clash_mlip lammps_clash_host 1 mlip_style.in ${OMTP_POT_LI})
  # ... while mtp and mtp/atom stay the host's (not overridden), the log says where
  # OpenMTP's is, and compute openmtp/atom grades with pair_style openmtp
  set(_grade_pot ${OMTP_DATA}/examples/calculate_grade/pot.almtp)
  add_test(NAME lammps_plugin_clash_native
    COMMAND sh ${OMTP_LMP_TDIR}/run_lmp.sh ${OMTP_LMP_WORK}/plugin_clash_native ${_grade_pot} 1
            $<TARGET_FILE:lammps_clash_host> -in ${OMTP_LMP_TDIR}/clash_native.in -echo none
            -var plugin $<TARGET_FILE:mtpplugin> -var pot ${_grade_pot})
  set_tests_properties(lammps_plugin_clash_native PROPERTIES LABELS "lammps;plugin"
    SKIP_RETURN_CODE 77 SKIP_REGULAR_EXPRESSION "SKIP: " TIMEOUT 300
    PASS_REGULAR_EXPRESSION "OpenMTP: pair style mtp is already defined in this LAMMPS.*OpenMTP: compute style mtp/atom is already defined.*CLASH_OK"
    FAIL_REGULAR_EXPRESSION "ERROR|Overriding built-in (pair|compute) style")
  # the plugin exports lammpsplugin_init and nothing else
  add_test(NAME lammps_plugin_exports COMMAND sh ${OMTP_LMP_TDIR}/check_exports.sh $<TARGET_FILE:mtpplugin>)
  set_tests_properties(lammps_plugin_exports PROPERTIES LABELS "lammps;plugin" SKIP_RETURN_CODE 77)
endif()

# ---- error messages ----
set(_e -in ${OMTP_LMP_TDIR}/errors.in -echo none)
# `clear` keeps lmp_mtp's styles (pair mtp, mlip, compute mtp/atom): same numbers before and after
set(OMTP_LI3PS4_POT ${PROJECT_SOURCE_DIR}/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp)
foreach(np 1 2)
  openmtp_lammps_run(clear_np${np} ${np} ${OMTP_LI3PS4_POT} PASS "CLEAR_OK" FAIL "ERROR"
    ARGS -in ${OMTP_LMP_TDIR}/clear.in -var structure ${PROJECT_SOURCE_DIR}/examples/li3ps4-beta/campaign/structure.lmp
         -var pot ${OMTP_LI3PS4_POT} -log log.lammps)
endforeach()
openmtp_lammps_run(error_not_element 1 ${OMTP_POT_LI} PASS "not a chemical element symbol"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI}" -var pc "* * Xx")
openmtp_lammps_run(error_relative_labels 1 ${OMTP_POT_LI} PASS "uses relative species labels"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI}" -var pc "* * Li")
openmtp_lammps_run(error_count 1 ${OMTP_POT_LI} PASS "2 names given after"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI}" -var pc "* * 0 0")
openmtp_lammps_run(error_missing_label 1 ${OMTP_POT_LI} PASS "maps to species label 1"
  ARGS ${_e} -var ntypes 2 -var ps "mtp ${OMTP_POT_LI}" -var pc "* *")
openmtp_lammps_run(error_null_not_hybrid 1 ${OMTP_POT_LI} PASS "only allowed when mtp is a sub-style"
  ARGS ${_e} -var ntypes 2 -var ps "mtp ${OMTP_POT_LI}" -var pc "* * 0 NULL")
openmtp_lammps_run(error_newton_off 1 ${OMTP_POT_LI} PASS "requires 'newton on'"
  ARGS ${_e} -var newton off -var ps "mtp ${OMTP_POT_LI}" -var pc "* *")
openmtp_lammps_run(error_untrained 1 ${OMTP_POT_UNTRAINED} PASS "is untrained"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_UNTRAINED}" -var pc "* *")
openmtp_lammps_run(error_no_file 1 - PASS "cannot read potential"
  ARGS ${_e} -var ps "mtp /nonexistent/pot.almtp" -var pc "* *")
openmtp_lammps_run(error_species_unknown 1 ${OMTP_POT_2} PASS "is not one of the species named"
  ARGS ${_e} -var ntypes 2 -var ps "mtp ${OMTP_POT_2} species Na Cl" -var pc "* * Na K")
openmtp_lammps_run(error_min_dist_refuse 1 ${OMTP_POT_LI} PASS "closer than the potential's min_dist"
  ARGS ${_e} -var a 2.6 -var ps "mtp ${OMTP_POT_LI} min_dist refuse" -var pc "* *")
openmtp_lammps_run(min_dist_allow 1 ${OMTP_POT_LI} PASS "OPENMTP_RUN_OK"
  ARGS ${_e} -var a 2.6 -var ps "mtp ${OMTP_POT_LI} min_dist allow" -var pc "* *")
# extrapolation control (formerly error_mlip_extrapolation: "not yet supported");
# the grading tests against `mtp calculate_grade` are in tests/lammps/grade.cmake
openmtp_lammps_run(mlip_extrapolation 1 ${OMTP_POT_LI} PASS "OPENMTP_RUN_OK" FAIL "ERROR"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_LI} extrapolation_control=true threshold_save=2 threshold_break=10 save_extrapolative_to=x.cfg" -var pc "* *")
openmtp_lammps_run(error_mlip_unknown_key 1 ${OMTP_POT_LI} PASS "unknown keyword 'foo'"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_LI} foo=1" -var pc "* *")
openmtp_lammps_run(mlip_prefixed_keys 1 ${OMTP_POT_LI} PASS "OPENMTP_RUN_OK"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_LI} extrapolation_control=false extrapolation_control:threshold_save=2 extrapolation_control:threshold_break=10 extrapolation_control:save_extrapolative_to=p.cfg" -var pc "* *")

# ---- units and keyword values (issue 10 item 7): every message names the keyword, what it
# accepts and what it got; non-metal units are refused instead of misread ----
openmtp_lammps_run(error_units_real 1 ${OMTP_POT_LI} PASS "pair_style mtp requires 'units metal' .*uses 'units real'"
  ARGS ${_e} -var units real -var ps "mtp ${OMTP_POT_LI}" -var pc "* *")
openmtp_lammps_run(error_units_real_mlip 1 ${OMTP_POT_LI} PASS "pair_style mlip requires 'units metal' .*uses 'units real'"
  ARGS ${_e} -var units real -var ps "mlip load_from=${OMTP_POT_LI}" -var pc "* *")
openmtp_lammps_run(error_units_lj_hybrid 1 ${OMTP_POT_LI} PASS "pair_style mtp requires 'units metal' .*uses 'units lj'"
  ARGS ${_e} -var units lj -var ps "hybrid/overlay mtp ${OMTP_POT_LI} zbl 3.0 4.0" -var pc "* * zbl 3 3")
openmtp_lammps_run(error_unknown_keyword 1 ${OMTP_POT_LI} PASS "unknown keyword 'foo' \\(valid keywords: species, min_dist, extrapolation, "
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI} foo 1" -var pc "* *")
openmtp_lammps_run(error_keyword_after_species 1 ${OMTP_POT_3} PASS "unknown keyword 'Cl' after the 3 name\\(s\\) of 'species' .*valid keywords: species,"
  ARGS ${_e} -var ntypes 3 -var ps "mtp ${OMTP_POT_3} species Li P S Cl" -var pc "* * Li P S")
openmtp_lammps_run(error_species_misspelt_keyword 1 ${OMTP_POT_3} PASS "'species' expects 3 chemical element symbol\\(s\\).*got 'extrapolaton' \\(a misspelt keyword"
  ARGS ${_e} -var ntypes 3 -var ps "mtp ${OMTP_POT_3} species Li extrapolaton yes" -var pc "* * 0 1 2")
openmtp_lammps_run(error_species_too_few 1 ${OMTP_POT_3} PASS "'species' needs 3 name\\(s\\).*got 2 before the keyword 'min_dist'"
  ARGS ${_e} -var ntypes 3 -var ps "mtp ${OMTP_POT_3} species Li P min_dist allow" -var pc "* * 0 1 2")
openmtp_lammps_run(error_logical_value 1 ${OMTP_POT_LI} PASS "pair_style mtp: extrapolation expects yes or no \\(also true/false, on/off, 1/0\\), got 'maybe'"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI} extrapolation maybe" -var pc "* *")
openmtp_lammps_run(error_threshold_not_number 1 ${OMTP_POT_LI} PASS "pair_style mtp: threshold_save expects a grade >= 0 .*got 'true'"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI} extrapolation yes threshold_save true" -var pc "* *")
openmtp_lammps_run(error_threshold_mlip 1 ${OMTP_POT_LI} PASS "pair_style mlip: extrapolation_control:threshold_break= expects a grade >= 0 .*got 'yes'"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_LI} extrapolation_control=true extrapolation_control:threshold_break=yes" -var pc "* *")
openmtp_lammps_run(error_grade_every_not_integer 1 ${OMTP_POT_LI} PASS "pair_style mtp: grade_every expects an integer >= 1 .*got '2.5'"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI} extrapolation yes grade_every 2.5" -var pc "* *")
openmtp_lammps_run(error_save_cut_yes 1 ${OMTP_POT_LI} PASS "save_cut expects no \\(save whole frames\\), cluster or periodic, got 'true'"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI} extrapolation yes save_cut true" -var pc "* *")
openmtp_lammps_run(error_min_dist_value 1 ${OMTP_POT_LI} PASS "min_dist expects allow .* or refuse .*got 'true'"
  ARGS ${_e} -var ps "mtp ${OMTP_POT_LI} min_dist true" -var pc "* *")
openmtp_lammps_run(error_mlip_logical_value 1 ${OMTP_POT_LI} PASS "pair_style mlip: extrapolation_control= expects yes or no .*got 'maybe'"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_LI} extrapolation_control=maybe" -var pc "* *")
openmtp_lammps_run(error_mlip_grade_feature 1 ${OMTP_POT_LI} PASS "pair_style mlip: add_grade_feature= expects yes or no .*got 'maybe'"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_LI} add_grade_feature=maybe" -var pc "* *")
openmtp_lammps_run(error_mlip_spaces 1 ${OMTP_POT_LI} PASS "expected key=value, got 'extrapolation_control' \\(pair_style mlip takes key=value arguments without spaces"
  ARGS ${_e} -var ps "mlip load_from=${OMTP_POT_LI} extrapolation_control true" -var pc "* *")
openmtp_lammps_run(error_mlip_potential_as_ini 1 ${OMTP_POT_LI} PASS "is a potential file, not an MLIP-2 mlip.ini: write 'pair_style mlip load_from="
  ARGS ${_e} -var ps "mlip ${OMTP_POT_LI}" -var pc "* *")
openmtp_lammps_run(logical_spellings 1 ${OMTP_POT_LI} PASS "OPENMTP_RUN_OK" FAIL "ERROR"
  ARGS ${_e} -var ps "hybrid/overlay mtp ${OMTP_POT_LI} extrapolation OFF save_cut false mlip load_from=${OMTP_POT_LI} extrapolation_control=No calculate_efs=TRUE select=0" -var pc "* * mtp 0" -var extra "pair_coeff * * mlip")

# ---- physics ----
openmtp_lammps_run(nve_li 1 ${OMTP_POT_LI} PASS "OPENMTP_NVE" FAIL "ERROR"
  ARGS -in ${OMTP_LMP_TDIR}/nve_li.in -var pot ${OMTP_POT_LI})
openmtp_lammps_run(nve_li_np2 2 ${OMTP_POT_LI} PASS "OPENMTP_NVE" FAIL "ERROR"
  ARGS -in ${OMTP_LMP_TDIR}/nve_li.in -var pot ${OMTP_POT_LI})
openmtp_lammps_run(minimize_box_relax 1 ${OMTP_POT_LI} PASS "OPENMTP_RUN_OK" FAIL "OPENMTP_FAIL|ERROR"
  ARGS -in ${OMTP_LMP_TDIR}/minimize_li.in -var pot ${OMTP_POT_LI})

# ---- extrapolation control ----
include(${OMTP_LMP_TDIR}/grade.cmake)

# ---- examples (examples/lammps), each < 1 minute ----
set(OMTP_EX ${PROJECT_SOURCE_DIR}/examples/lammps)
foreach(ex nvt npt minimize)
  openmtp_lammps_run(example_${ex} 1 ${OMTP_POT_LI} PASS "OPENMTP_EXAMPLE_DONE" FAIL "ERROR"
    ARGS -in ${OMTP_EX}/in.${ex} -var data ${OMTP_DATA})
endforeach()
openmtp_lammps_run(example_nvt_np2 2 ${OMTP_POT_LI} PASS "OPENMTP_EXAMPLE_DONE" FAIL "ERROR"
  ARGS -in ${OMTP_EX}/in.nvt -var data ${OMTP_DATA})
if(TARGET mtp)
  openmtp_lammps_run(example_msd 1 ${OMTP_POT_3} PASS "OPENMTP_EXAMPLE_DONE" FAIL "ERROR"
    ARGS -in ${OMTP_EX}/in.msd -var data ${OMTP_DATA} -var mtp $<TARGET_FILE:mtp>)
endif()

# 1/2/4 ranks: 4096 atoms, identical forces at step 0 and trajectories after 100 steps
add_test(NAME lammps_mpi_trajectory
  COMMAND sh ${OMTP_LMP_TDIR}/mpi_traj.sh $<TARGET_FILE:lmp_mtp> ${OMTP_POT_LI} ${OMTP_LMP_WORK}/mpi_traj)
set_tests_properties(lammps_mpi_trajectory PROPERTIES LABELS "lammps;mpi" SKIP_RETURN_CODE 77 PROCESSORS 2)

# Every shipped potential (potentials/mlearn-*) runs in LAMMPS and agrees with
# the library on a perturbed crystal of its element.
foreach(omtp_el_spec "Li;bcc;3.44;6.94" "Mo;bcc;3.16;95.95" "Si;diamond;5.47;28.085")
  list(GET omtp_el_spec 0 omtp_el)
  list(GET omtp_el_spec 1 omtp_lat)
  list(GET omtp_el_spec 2 omtp_a)
  list(GET omtp_el_spec 3 omtp_mass)
  file(GLOB omtp_shipped CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/potentials/mlearn-${omtp_el}-L*/mlearn-*.almtp)
  foreach(omtp_pot ${omtp_shipped})
    get_filename_component(omtp_pname ${omtp_pot} NAME_WE)
    openmtp_lammps_efs(shipped_${omtp_pname} 1 crystal.in ${omtp_pot}
                       VARS -var lat ${omtp_lat} -var a ${omtp_a} -var mass ${omtp_mass})
  endforeach()
endforeach()
