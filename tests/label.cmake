# SPDX-License-Identifier: BSD-3-Clause
# Labelling: CP2K reader checks, CP2K MD reader, the `mtp-label` command (label/).
add_test(NAME cp2k_reader_checks
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/label/test_cp2k_reader.sh $<TARGET_FILE:mtp>
                 ${CMAKE_CURRENT_LIST_DIR}/data ${CMAKE_BINARY_DIR}/tests/cp2k-reader-work)
set_tests_properties(cp2k_reader_checks PROPERTIES LABELS "label;formats")
add_test(NAME label_lammps
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/label/test_label_lammps.py
                 ${PROJECT_BINARY_DIR}/bin/mtp-label $<TARGET_FILE:mtp> ${CMAKE_BINARY_DIR}/tests/label-lammps-work)
set_tests_properties(label_lammps PROPERTIES SKIP_RETURN_CODE 77 LABELS "label")
add_test(NAME label_cp2k_fake
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/label/test_label_cp2k.py fake
                 ${PROJECT_BINARY_DIR}/bin/mtp-label $<TARGET_FILE:mtp> ${CMAKE_CURRENT_LIST_DIR}/data
                 ${CMAKE_BINARY_DIR}/tests/label-cp2k-fake-work)
set_tests_properties(label_cp2k_fake PROPERTIES LABELS "label")
# Two real 4-atom CP2K single points (about 20 s of one core).
add_test(NAME label_cp2k_real
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/label/test_label_cp2k.py real
                 ${PROJECT_BINARY_DIR}/bin/mtp-label $<TARGET_FILE:mtp> ${CMAKE_CURRENT_LIST_DIR}/data
                 ${CMAKE_BINARY_DIR}/tests/label-cp2k-real-work)
set_tests_properties(label_cp2k_real PROPERTIES SKIP_RETURN_CODE 77 LABELS "label;dft")
add_test(NAME cp2k_md_reader
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/label/test_cp2k_md.py $<TARGET_FILE:mtp>
                 ${CMAKE_CURRENT_LIST_DIR}/data ${CMAKE_BINARY_DIR}/tests/cp2k-md-work)
set_tests_properties(cp2k_md_reader PROPERTIES LABELS "label;formats")
foreach(mode reader fake real)
  add_test(NAME label_qe_${mode}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/label/test_qe.py ${mode}
                   ${PROJECT_BINARY_DIR}/bin/mtp-label $<TARGET_FILE:mtp> ${CMAKE_CURRENT_LIST_DIR}/data
                   ${CMAKE_BINARY_DIR}/tests/label-qe-${mode}-work)
  set_tests_properties(label_qe_${mode} PROPERTIES SKIP_RETURN_CODE 77 LABELS "label")
endforeach()
add_test(NAME label_vasp_fake
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/label/test_label_vasp.py
                 ${PROJECT_BINARY_DIR}/bin/mtp-label $<TARGET_FILE:mtp> ${OPENMTP_SHARED_DATA}
                 ${CMAKE_BINARY_DIR}/tests/label-vasp-work)
set_tests_properties(label_vasp_fake PROPERTIES SKIP_RETURN_CODE 77 LABELS "label")
# kill -9 of mtp-label while its code runs, restarted at once: the job lock
# and PR_SET_PDEATHSIG keep a job directory to one running code (no lmp needed).
add_test(NAME label_lock
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/label/test_label_lock.py
                 ${PROJECT_BINARY_DIR}/bin/mtp-label ${CMAKE_BINARY_DIR}/tests/label-lock-work)
set_tests_properties(label_lock PROPERTIES LABELS "label")
# --kspacing: meshes from each frame's cell, restart only between equal meshes.
add_test(NAME label_kspacing
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/label/test_kspacing.py
                 ${PROJECT_BINARY_DIR}/bin/mtp-label $<TARGET_FILE:mtp> ${CMAKE_CURRENT_LIST_DIR}/data
                 ${CMAKE_BINARY_DIR}/tests/label-kspacing-work)
set_tests_properties(label_kspacing PROPERTIES LABELS "label")
