#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run, or continue after any interruption, the CP2K CELL_OPT of the ordered
# beta-Li3PS4 model (li3ps4_cell_opt.inp), then write its result next to this
# script: beta-Li3PS4_cellopt.xyz (extended XYZ, last geometry and cell) and
# cellopt_steps.tsv (per optimisation step: energy, a, b, c, volume).
#
#   run_cell_opt.sh WORKDIR ["SUBMIT PREFIX"]      (default: mpirun -np 2)
#
# WORKDIR is scratch (outputs, wavefunctions and restart files stay there).
# CP2K writes cellopt-1.restart after every step; when it exists the run
# continues from it (CP2K's restart file is a complete input holding the
# current cell, positions and step counter), with the last wavefunction as
# the SCF guess.  Re-running after convergence only rewrites the results.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: run_cell_opt.sh WORKDIR [SUBMIT]}
submit=${2:-mpirun --allow-run-as-root -np 2}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$work"
cd "$work"

converged() { grep -q "GEOMETRY OPTIMIZATION COMPLETED" cellopt.out.* 2>/dev/null; }

if ! converged; then
  part=$(( $(ls cellopt.out.* 2>/dev/null | wc -l) + 1 ))
  if [ -s cellopt-1.restart ]; then
    # the restart file is the input; keep a copy CP2K will not overwrite
    cp cellopt-1.restart "restart-from.$part.inp"
    input="restart-from.$part.inp"
    echo "run_cell_opt: continuing from cellopt-1.restart (part $part)"
  else
    cp "$here/li3ps4_cell_opt.inp" start.inp
    input=start.inp
    echo "run_cell_opt: starting (part $part)"
  fi
  # shellcheck disable=SC2086
  $submit cp2k.psmp -i "$input" -o "cellopt.out.$part" || true
fi

# results (also of an unfinished run, to commit its progress): per-step table
# from the .cell file and the trajectory (keyed by step, since a continued run
# appends to both), and the last geometry
/usr/bin/python3 - "$here" <<'EOF'
import os, re, sys
here = sys.argv[1]
cells = {}
for l in open("cellopt-1.cell"):
    if not l.startswith("#"):
        c = l.split()
        cells[int(c[0])] = c
pos = open("cellopt-pos-1.xyz").read().splitlines()
frames, i = {}, 0
while i < len(pos):
    n = int(pos[i]); head = pos[i + 1]
    step = int(re.search(r"i\s*=\s*([0-9]+)", head).group(1))
    e = float(re.search(r"E\s*=\s*(-?[0-9.]+)", head).group(1))
    frames[step] = (e, pos[i + 2:i + 2 + n]); i += n + 2
steps = sorted(set(frames) & set(cells))
if not steps:
    sys.exit("run_cell_opt: no optimisation step written yet")
def write(name, text):
    tmp = os.path.join(here, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(here, name))
rows = ["step\tenergy_Ha\ta_A\tb_A\tc_A\tvolume_A3"]
for k in steps:
    e, c = frames[k][0], cells[k]
    v = [float(x) for x in c[2:11]]
    rows.append("%d\t%.10f\t%.5f\t%.5f\t%.5f\t%.3f" % (k, e, v[0], v[4], v[8], float(c[11])))
write("cellopt_steps.tsv", "\n".join(rows) + "\n")
last = steps[-1]
v = [float(x) for x in cells[last][2:11]]
lat = " ".join("%.8f" % x for x in v)
out = ["%d" % len(frames[last][1]),
       'Lattice="%s" Properties=species:S:1:pos:R:3 energy_Ha=%.10f step=%d pbc="T T T"' % (lat, frames[last][0], last)]
write("beta-Li3PS4_cellopt.xyz", "\n".join(out + frames[last][1]) + "\n")
print("run_cell_opt: step %d, a b c = %.4f %.4f %.4f A" % (last, v[0], v[4], v[8]))
EOF
converged || { echo "run_cell_opt: not converged yet (see $work/cellopt.out.*); run again to continue" >&2; exit 1; }
echo "run_cell_opt: converged"
