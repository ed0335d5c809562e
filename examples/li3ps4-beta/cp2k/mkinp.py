#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a CP2K input for beta-Li3PS4 (or any Li/P/S cell) from an extended-XYZ / CIF file.
usage: mkinp.py STRUCT OUT.inp [key=value ...]
keys: cutoff (Ry, 400) rel (Ry, 50) kp (e.g. 1x2x2, default gamma) scf (diag|ot) precond (FULL_ALL)
      minim (DIIS) eps_scf (1e-6) eps_def (1e-12) d3 (0|1) smear_T (300 K) added_mos (20)
      restart (wfn file or '') run (ENERGY_FORCE|GEO_OPT|CELL_OPT) project (name) stress (1) mix_alpha (0.3)
      outer (1 = outer SCF for OT) guess (ATOMIC|RESTART)"""
import sys
from ase.io import read
atoms = read(sys.argv[1])
out = sys.argv[2]
o = dict(cutoff="400", rel="50", kp="gamma", scf="diag", precond="FULL_ALL", minim="DIIS", eps_scf="1e-6",
         eps_def="1e-12", d3="0", smear_T="300", added_mos="20", restart="", run="ENERGY_FORCE",
         project="li3ps4", stress="1", mix_alpha="0.3", outer="1", nbroy="8", max_scf="200")
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    assert k in o, k
    o[k] = v
c = atoms.cell
L = []
L.append(f"&GLOBAL\n  PROJECT {o['project']}\n  RUN_TYPE {o['run']}\n  PRINT_LEVEL LOW\n&END GLOBAL")
if o["run"] in ("GEO_OPT", "CELL_OPT"):
    L.append(f"""&MOTION
  &GEO_OPT
    OPTIMIZER BFGS
    MAX_ITER 200
    MAX_FORCE 4.5E-4
  &END GEO_OPT
  &CELL_OPT
    OPTIMIZER BFGS
    MAX_ITER 100
    MAX_FORCE 4.5E-4
    PRESSURE_TOLERANCE 100
    KEEP_ANGLES T
  &END CELL_OPT
  &PRINT
    &TRAJECTORY
      FORMAT XYZ
    &END TRAJECTORY
    &RESTART
      BACKUP_COPIES 0
    &END RESTART
  &END PRINT
&END MOTION""")
L.append("&FORCE_EVAL\n  METHOD QS")
if o["stress"] == "1" or o["run"] == "CELL_OPT":
    L.append("  STRESS_TENSOR ANALYTICAL")
L.append("  &DFT\n    BASIS_SET_FILE_NAME BASIS_MOLOPT\n    POTENTIAL_FILE_NAME GTH_POTENTIALS")
if o["restart"]:
    L.append(f"    WFN_RESTART_FILE_NAME {o['restart']}")
L.append(f"""    &MGRID
      CUTOFF {o['cutoff']}
      REL_CUTOFF {o['rel']}
      NGRIDS 4
    &END MGRID
    &QS
      EPS_DEFAULT {o['eps_def']}
      EXTRAPOLATION ASPC
    &END QS""")
if o["kp"] != "gamma":
    n = o["kp"].replace("x", " ")
    L.append(f"    &KPOINTS\n      SCHEME MONKHORST-PACK {n}\n      SYMMETRY F\n      FULL_GRID F\n    &END KPOINTS")
guess = "RESTART" if o["restart"] else "ATOMIC"
L.append(f"    &SCF\n      SCF_GUESS {guess}\n      EPS_SCF {o['eps_scf']}\n      MAX_SCF {o['max_scf']}")
if o["scf"] == "ot":
    L.append(f"""      &OT
        MINIMIZER {o['minim']}
        PRECONDITIONER {o['precond']}
      &END OT""")
    if o["outer"] == "1":
        L.append(f"      &OUTER_SCF\n        EPS_SCF {o['eps_scf']}\n        MAX_SCF 20\n      &END OUTER_SCF")
else:
    L.append(f"""      ADDED_MOS {o['added_mos']}
      &DIAGONALIZATION
        ALGORITHM STANDARD
      &END DIAGONALIZATION
      &MIXING
        METHOD BROYDEN_MIXING
        ALPHA {o['mix_alpha']}
        NBROYDEN {o['nbroy']}
      &END MIXING
      &SMEAR
        METHOD FERMI_DIRAC
        ELECTRONIC_TEMPERATURE [K] {o['smear_T']}
      &END SMEAR""")
L.append("""      &PRINT
        &RESTART
          BACKUP_COPIES 0
        &END RESTART
      &END PRINT
    &END SCF
    &XC
      &XC_FUNCTIONAL PBE
      &END XC_FUNCTIONAL""")
if o["d3"] == "1":
    L.append("""      &VDW_POTENTIAL
        POTENTIAL_TYPE PAIR_POTENTIAL
        &PAIR_POTENTIAL
          TYPE DFTD3(BJ)
          PARAMETER_FILE_NAME dftd3.dat
          REFERENCE_FUNCTIONAL PBE
        &END PAIR_POTENTIAL
      &END VDW_POTENTIAL""")
L.append("    &END XC\n  &END DFT\n  &SUBSYS\n    &CELL")
for n, v in zip("ABC", c):
    L.append(f"      {n} {v[0]:.10f} {v[1]:.10f} {v[2]:.10f}")
L.append("      PERIODIC XYZ\n    &END CELL\n    &COORD")
for a in atoms:
    L.append(f"      {a.symbol} {a.position[0]:.10f} {a.position[1]:.10f} {a.position[2]:.10f}")
L.append("    &END COORD")
L.append("    &PRINT\n      &ATOMIC_COORDINATES ON\n      &END ATOMIC_COORDINATES\n      &CELL ON\n      &END CELL\n    &END PRINT")
for el, q in (("Li", 3), ("P", 5), ("S", 6)):
    L.append(f"    &KIND {el}\n      BASIS_SET DZVP-MOLOPT-SR-GTH\n      POTENTIAL GTH-PBE-q{q}\n    &END KIND")
L.append("  &END SUBSYS\n  &PRINT\n    &FORCES ON\n    &END FORCES" + ("\n    &STRESS_TENSOR ON\n    &END STRESS_TENSOR" if (o["stress"] == "1" or o["run"] == "CELL_OPT") else "") + "\n  &END PRINT\n&END FORCE_EVAL")
open(out, "w").write("\n".join(L) + "\n")
