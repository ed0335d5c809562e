#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The installed `mtp check_errors --parity_to` finds the installed plotting module
# (<prefix>/<python dir>/openmtp/plot.py, relative to <prefix>/bin/mtp), also after the whole
# prefix has been moved, with nothing of the build tree on PYTHONPATH.
# usage: test_plot_install.sh BUILD_DIR PYTHON WORK_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1 PY=$2 WORK=$3 SRC=$4
"$PY" -c 'import ase, numpy, matplotlib' 2> /dev/null ||
  { echo "SKIP: $PY lacks python3-ase/python3-numpy/python3-matplotlib"; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK"
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log"
plot=$(cd "$WORK/prefix" && ls */python3*/dist-packages/openmtp/plot.py)
pydir=$(dirname "$(dirname "$plot")")
echo "installed plotting module: <prefix>/$pydir/openmtp/plot.py"
POT16=$SRC/potentials/mlearn-Li-L16/mlearn-Li-L16.almtp
POT20=$SRC/potentials/mlearn-Li-L20/mlearn-Li-L20.almtp
(cd "$WORK" && env -u PYTHONPATH PYTHONPATH="$WORK/prefix/$pydir" "$PY" -B -c '
import openmtp
from ase.build import bulk
frames = []
for k in range(4):
    a = bulk("Li", "bcc", a=3.40 + 0.02 * k, cubic=True).repeat(2)
    a.rattle(0.05, seed=k)
    frames.append(a)
openmtp.write_cfg("frames.cfg", frames, species=["Li"])')
run() {  # PREFIX TAG: label with the level-20 potential, parity plot of the level-16 one
  local mtp=$1/bin/mtp
  (cd "$WORK" && env -u PYTHONPATH -u OPENMTP_PYTHONPATH -u OPENMTP_PYTHON -u LD_LIBRARY_PATH sh -c '
    set -e
    "$1" calculate_efs "$2" frames.cfg --output_filename=ref.cfg 2> /dev/null
    "$1" check_errors "$3" ref.cfg --parity_to="parity-$4.png" > "report-$4.txt"' run "$mtp" "$POT20" "$POT16" "$2")
  "$PY" -B -c '
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND", "not a complete PNG"
w, h = struct.unpack(">II", data[16:24])
assert w > 400 and h > 300, (w, h)
print("  %s: %dx%d" % (sys.argv[1], w, h))' "$WORK/parity-$2.png"
  grep -q "Energy per atom   MAE" "$WORK/report-$2.txt"
  test -s "$WORK/parity-$2.tsv"
}
run "$WORK/prefix" installed
mv "$WORK/prefix" "$WORK/moved"
echo "after moving the prefix:"
run "$WORK/moved" moved
echo "plot install test: the installed mtp plots with the installed package, also when moved"
