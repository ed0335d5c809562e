#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `cmake --install` puts the openmtp package where Debian's python3 looks for the prefix
# (OPENMTP_PYTHON_INSTALL_DIR); the installed package finds the installed libopenmtp and mtp
# (not the build tree's), also after the whole prefix has been moved elsewhere.
# usage: test_install.sh BUILD_DIR PYTHON WORK_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1 PY=$2 WORK=$3 SRC=$4
"$PY" -c 'import ase, numpy' 2> /dev/null || { echo "SKIP: $PY lacks python3-ase/python3-numpy"; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK"
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log"
init=$(cd "$WORK/prefix" && ls */python3*/dist-packages/openmtp/__init__.py)
pydir=$(dirname "$(dirname "$init")")
echo "installed package: <prefix>/$pydir/openmtp"
check() {  # PREFIX: import the installed package from an unrelated directory, evaluate
  (cd "$WORK" && env -u OPENMTP_LIBRARY -u OPENMTP_MTP -u LD_LIBRARY_PATH PYTHONPATH="$1/$pydir" \
     "$PY" -B - "$1" "$SRC/potentials/mlearn-Li-L16/mlearn-Li-L16.almtp" <<'PYEOF'
import os, sys
import openmtp
from ase.build import bulk
prefix, pot = os.path.realpath(sys.argv[1]), sys.argv[2]
for what, path in (("package", openmtp.__file__), ("library", openmtp.library_path()),
                   ("mtp", openmtp.mtp_executable())):
    assert os.path.realpath(path).startswith(prefix + "/"), "%s %s is not under %s" % (what, path, prefix)
    print("  %s: %s" % (what, path))
atoms = bulk("Li", "bcc", a=3.44, cubic=True)
atoms.calc = openmtp.MTPCalculator(pot, species=["Li"])
print("  energy %.6f eV; mtp says: %s" % (atoms.get_potential_energy(),
                                        openmtp.run_mtp("version").strip()))
PYEOF
  )
}
check "$WORK/prefix"
mv "$WORK/prefix" "$WORK/moved"
echo "after moving the prefix:"
check "$WORK/moved"
echo "python install test: the installed package finds its library and command, also when moved"
