#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run, or continue after any interruption, the CP2K CELL_OPT of the ordered
# beta-Li3PS4 model (li3ps4_cell_opt.inp), then write its result next to this
# script: beta-Li3PS4_cellopt.xyz (extended XYZ, last geometry and cell) and
# cellopt_steps.tsv (per optimisation step: energy, pressure, largest
# gradient, a, b, c, volume).
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
  shopt -s nullglob; outs=(cellopt.out.*); shopt -u nullglob
  part=$(( ${#outs[@]} + 1 ))
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

# results (also of an unfinished run, to commit its progress), from CP2K's
# output (every part, in order): per optimisation step the cell it used (the
# last "CELL| Vector" block before the step's "Informations at step" block),
# its energy, pressure and largest gradient; the last geometry from the
# trajectory (keyed by step: a continued run appends to it)
/usr/bin/python3 - "$here" <<'EOF'
import glob, os, re, sys
here = sys.argv[1]
parts = sorted(glob.glob("cellopt.out.*"), key=lambda f: int(f.rsplit(".", 1)[1]))
steps, cell, cur = {}, [None, None, None], None
for f in parts:
    for line in open(f, errors="replace"):
        m = re.match(r"\s*CELL\| Vector ([abc]) \[angstrom\]:.*\|[abc]\| =\s*([0-9.]+)", line)
        if m:
            cell["abc".index(m.group(1))] = float(m.group(2))
            continue
        m = re.search(r"Informations at step =\s*([0-9]+)", line)
        if m:
            cur = steps[int(m.group(1))] = {"cell": list(cell)}
            continue
        if cur is not None:
            for key, pat in (("energy", r"^\s*Total Energy\s*=\s*(-?[0-9.E+-]+)"),
                             ("pressure", r"Internal Pressure \[bar\]\s*=\s*(-?[0-9.E+-]+)"),
                             ("max_gradient", r"^\s*Max\. gradient\s*=\s*(-?[0-9.E+-]+)")):
                m = re.search(pat, line)
                if m and key not in cur:
                    cur[key] = float(m.group(1))
pos = open("cellopt-pos-1.xyz").read().splitlines() if os.path.exists("cellopt-pos-1.xyz") else []
frames, i = {}, 0
while i < len(pos):
    n = int(pos[i])
    k = int(re.search(r"i\s*=\s*([0-9]+)", pos[i + 1]).group(1))
    frames[k] = pos[i + 2:i + 2 + n]
    i += n + 2
done = sorted(k for k, v in steps.items() if None not in v["cell"] and "energy" in v)
if not done:
    sys.exit("run_cell_opt: no optimisation step written yet")
def write(name, text):
    tmp = os.path.join(here, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(here, name))
rows = ["step\tenergy_Ha\tpressure_bar\tmax_gradient_Ha_bohr\ta_A\tb_A\tc_A\tvolume_A3"]
for k in done:
    v = steps[k]; a, b, c = v["cell"]
    rows.append("%d\t%.10f\t%.1f\t%.7f\t%.5f\t%.5f\t%.5f\t%.3f" % (
        k, v["energy"], v.get("pressure", float("nan")), v.get("max_gradient", float("nan")), a, b, c, a * b * c))
write("cellopt_steps.tsv", "\n".join(rows) + "\n")
last = max(k for k in done if k in frames) if any(k in frames for k in done) else None
if last is not None:
    a, b, c = steps[last]["cell"]
    head = ('Lattice="%.8f 0 0 0 %.8f 0 0 0 %.8f" Properties=species:S:1:pos:R:3 energy_Ha=%.10f '
            'cellopt_step=%d pbc="T T T"' % (a, b, c, steps[last]["energy"], last))
    write("beta-Li3PS4_cellopt.xyz", "\n".join(["%d" % len(frames[last]), head] + frames[last]) + "\n")
k = done[-1]; a, b, c = steps[k]["cell"]
print("run_cell_opt: step %d, a b c = %.4f %.4f %.4f A, pressure %.0f bar" % (k, a, b, c, steps[k].get("pressure", float("nan"))))
EOF
converged || { echo "run_cell_opt: not converged yet (see $work/cellopt.out.*); run again to continue" >&2; exit 1; }
echo "run_cell_opt: converged"
