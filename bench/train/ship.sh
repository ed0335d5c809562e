#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copy a potential trained by bench/train/run.sh into potentials/mlearn-EL-L$LEVEL/
# and write its README (command, hyperparameters, training time, test errors
# overall and per mlearn_group from `mtp check_errors`).
# Usage: [LEVEL=16] bench/train/ship.sh BUILD_DIR EL OPT "TRAIN OPTIONS" [OUT]
set -e
LV=${LEVEL:-16}
B=$1; EL=$2; OPT=$3; OPTS=$4; OUT=${5:-${OUT:-/tmp/openmtp-bench-train}}
R=$(cd "$(dirname "$0")/../.." && pwd); D=$R/../shared/data/mlearn/$EL
DST=$R/potentials/mlearn-$EL-L$LV; mkdir -p "$DST"
POT=$DST/mlearn-$EL-L$LV.almtp
# without the active-learning section (everything from the first '#', spec
# 2.6): at level 20 it is megabytes of training neighbourhoods
/usr/bin/python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.find(b"#"); open(sys.argv[2], "wb").write(d if i < 0 else d[:i])' \
    "$OUT/$EL-$LV-$OPT.almtp" "$POT"
"$B/bin/mtp" check_errors "$POT" "$D/test.cfg" --group_by=mlearn_group > "$OUT/$EL-ship-errors.txt" 2>&1
"$B/bin/mtp" calculate_efs "$POT" "$D/test.cfg" -o "$OUT/$EL-ship-pred.cfg" >/dev/null 2>&1
/usr/bin/python3 - "$OUT/$EL-ship-errors.txt" "$OUT/$EL-$OPT.log" "$D/train.cfg" "$D/test.cfg" "$EL" "$OPT" "$OPTS" \
    "$(wc -c < "$POT")" "$LV" "$POT" > "$DST/README.md" <<'PY'
import re, sys
err, log, train, test, el, opt, opts, size, lv, pot = sys.argv[1:11]
ptxt = open(pot).read()
K = int(re.search(r"radial_funcs_count = (\d+)", ptxt).group(1))
Rb = int(re.search(r"radial_basis_size = (\d+)", ptxt).group(1))
A = len(re.search(r"moment_coeffs = \{([^}]*)\}", ptxt).group(1).split(","))
txt = open(err).read()
blocks = re.split(r"^=== mlearn_group = (.*) ===$", txt, flags=re.M)
def maes(b):
    e = re.search(r"Energy per atom\s+MAE\s+(\S+)\s+RMSE\s+(\S+)\s+meV/atom\s+\((\d+)", b)
    f = re.search(r"Forces\s+MAE\s+(\S+)\s+RMSE\s+(\S+)\s+eV/A\s+\((\d+)", b)
    s = re.search(r"Stress\s+MAE\s+(\S+)\s+RMSE\s+(\S+)\s+GPa", b)
    return e, f, s
rows = [("all", blocks[0])] + [(blocks[i], blocks[i + 1]) for i in range(1, len(blocks) - 1, 2)]
L = open(log).read()
fin = re.search(r"# final loss (\S+)\s+rmse E (\S+) meV/atom\s+F (\S+) eV/A\s+\((\d+) iterations, (\S+) s\)", L)
ev = re.search(r"# (\d+) objective evaluations.*?(\d+) of them also the gradient\), (\S+) s in all, (\S+) s each, (\S+) us per atom", L)
thr = re.search(r"(\d+) MPI rank\(s\) x (\d+) thread", L)
ntrain = open(train).read().count("BEGIN_CFG"); ntest = open(test).read().count("BEGIN_CFG")
zuo = {"Mo": (2.83, 0.09), "Li": (0.49, 0.01), "Si": (2.21, 0.06)}[el]
p = print
p(f"# mlearn {el}, level-{lv} MTP (trained by OpenMTP `mtp train`)\n")
p(f"`mlearn-{el}-L{lv}.almtp` ({int(size)} bytes, no active-learning section): level-{lv} moment tensor potential,")
p(f"cutoff 5.0 Å, {Rb} Chebyshev radial basis functions, {K} radial functions, {A} moment coefficients, one species (type 0).")
p(f"Loadable by LAMMPS `pair_style mtp mlearn-{el}-L{lv}.almtp` + `pair_coeff * *` (LAMMPS type 1 = species 0), by")
p("`mtp calculate_efs` (checked: it reproduces the test errors below) and, being MLIP-3's .almtp format, by MLIP-3.")
p("\n## Data\n")
p(f"Zuo et al., *J. Phys. Chem. A* 124, 731 (2020), mlearn data set (https://github.com/materialsvirtuallab/mlearn,")
p(f"BSD-3-Clause), converted to .cfg: training set {ntrain} configurations (`{el}/train.cfg`), test set {ntest}")
p("configurations (`test.cfg`), the paper's split. The data are not part of this repository; this")
p("potential is a derived product.")
p("\n## Training\n")
p("```")
p(f"mtp init --level {lv} --species 0 --cutoff 5.0 -o init.almtp")
p(f"mtp train init.almtp {el}/train.cfg --save_to=mlearn-{el}-L{lv}.almtp --optimizer={opt} {opts} \\")
p(f"    --checkpoint_interval=120 --valid_cfgs={el}/test.cfg")
p("```")
p("(`bench/train/run.sh`; the test set is only monitored, never fitted.) Hyperparameters: "
  "MLIP-3 objective (spec §4) with energy_weight as given above (MLIP default 1 otherwise), force_weight 0.01, "
  "stress_weight 0.001, weight_scaling 1 (energy per atom squared × N), weight_scaling_forces 0, "
  "penalty_weight 1e-6, min_dist set to 0.99 × smallest training distance; optimiser "
  + (f"variable projection (BFGS over the {K * Rb} radial coefficients, the {A + 1} linear ones solved exactly at every evaluation)." if opt == "varpro" else "MLIP-3-compatible BFGS."))
if fin:
    p(f"\nWall time {float(fin.group(5)):.0f} s on a 2-core VM ({thr.group(1) if thr else 1} rank × {thr.group(2) if thr else '?'} threads), "
      f"{fin.group(4)} iterations" + (f", {ev.group(1)} objective evaluations ({ev.group(2)} with gradient), {float(ev.group(4)):.2f} s each, "
      f"{float(ev.group(5)):.0f} µs per atom per evaluation" if ev else "") + f"; final training loss {float(fin.group(1)):.5g}, "
      f"training RMSE E {fin.group(2)} meV/atom, F {fin.group(3)} eV/Å.")
p("\n## Test errors (`mtp check_errors ... --group_by=mlearn_group`, component-wise MAE / RMSE)\n")
p("| group | configurations | E MAE (meV/atom) | E RMSE | F MAE (eV/Å) | F RMSE | stress MAE (GPa) | stress RMSE |")
p("|---|---|---|---|---|---|---|---|")
for name, b in rows:
    e, f, s = maes(b)
    if not e: continue
    p(f"| {name} | {e.group(3)} | {float(e.group(1)):.2f} | {float(e.group(2)):.2f} | {float(f.group(1)):.4f} | {float(f.group(2)):.4f} | "
      + (f"{float(s.group(1)):.3f} | {float(s.group(2)):.3f} |" if s else "– | – |"))
p(f"\nZuo et al. 2020 MTP (test MAE): {zuo[0]} meV/atom, {zuo[1]} eV/Å.")
PY
echo "$DST/README.md"
