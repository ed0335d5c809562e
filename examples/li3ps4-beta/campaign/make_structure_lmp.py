#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the loop's STRUCTURE file (LAMMPS commands, variables strain and n)
for beta-Li3PS4 from a one-frame MLIP .cfg with an orthogonal cell and types
0 = Li, 1 = P, 2 = S (LAMMPS types 1, 2, 3 = MTP species 0, 1, 2).
The cell and the positions are scaled by ${strain} (isotropic), then the cell
is replicated n x n x n (32 n^3 atoms).
usage: make_structure_lmp.py IN.cfg OUT.lmp"""
import sys

lines = [l.strip() for l in open(sys.argv[1]).read().splitlines()]
n = int(lines[lines.index("Size") + 1])
s = lines.index("Supercell")
cell = [[float(x) for x in lines[s + 1 + r].split()] for r in range(3)]
if any(abs(cell[r][c]) > 1e-9 for r in range(3) for c in range(3) if r != c):
    sys.exit("%s: expected an orthogonal cell" % sys.argv[1])
a = [k for k, l in enumerate(lines) if l.startswith("AtomData:")][0]
rows = [lines[a + 1 + i].split() for i in range(n)]
out = ["# SPDX-License-Identifier: BSD-3-Clause",
       "# beta-Li3PS4, ordered model (Li on 8d + 4b), written by make_structure_lmp.py",
       "# from %s. Variables: strain (isotropic scale" % sys.argv[1].rsplit("/", 1)[-1],
       "# factor of the cell and positions), n (n x n x n cells of 32 atoms) or",
       "# nx, ny, nz (nx x ny x nz cells).",
       "# LAMMPS types 1 Li, 2 P, 3 S = MTP species 0, 1, 2 = TYPE_ORDER Li,P,S.",
       "units           metal", "boundary        p p p", "atom_style      atomic",
       "region          box block 0 $(%.8f*v_strain) 0 $(%.8f*v_strain) 0 $(%.8f*v_strain)"
       % (cell[0][0], cell[1][1], cell[2][2]),
       "create_box      3 box"]
for r in rows:
    # positions outside the cell are wrapped back by create_atoms ... remap yes
    out.append("create_atoms    %d single $(%s*v_strain) $(%s*v_strain) $(%s*v_strain) units box remap yes"
               % (int(r[1]) + 1, r[2], r[3], r[4]))
out += ['# nx, ny, nz: the repetitions along a, b, c; N x N x N when only n is given', 'if "$(is_defined(variable,nx)) == 0" then "variable nx equal ${n}"', 'if "$(is_defined(variable,ny)) == 0" then "variable ny equal ${n}"', 'if "$(is_defined(variable,nz)) == 0" then "variable nz equal ${n}"'] + ["replicate       ${nx} ${ny} ${nz}",
        "mass            1 6.94", "mass            2 30.973762", "mass            3 32.06"]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
