# SPDX-License-Identifier: BSD-3-Clause
"""ctest physics_aimd_start: aimd.py's reader of the MTP start frame (read_start, on the shared
LAMMPS dump reader) returns the atoms in id order with positions from the box's low corner and
velocities as written, and refuses bad frames with AimdError('file:line: ...'), not a traceback.
    test_aimd_start.py SRC WORK"""
import os
import sys

src, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "examples", "li3ps4-beta", "physics", "aimd"))
import aimd  # noqa: E402

os.makedirs(work, exist_ok=True)
HEAD = "ITEM: TIMESTEP\n7\nITEM: NUMBER OF ATOMS\n3\nITEM: BOX BOUNDS pp pp pp\n-1 11\n0 8\n2 8\n"
GOOD = HEAD + ("ITEM: ATOMS id type x y z vx vy vz\n"
               "3 3 1.5 2.5 3.5 0.1 0.2 0.3\n"
               "1 1 -0.5 0.5 2.5 -1 0 1\n"
               "2 2 10 7 7.5 0 0 0\n")


def write(name, text):
    p = os.path.join(work, name)
    with open(p, "w") as f:
        f.write(text)
    return p


cell, atoms = aimd.read_start(write("good.dump", GOOD))
assert cell == [12.0, 8.0, 6.0], cell
assert [a[0] for a in atoms] == ["Li", "P", "S"], atoms
assert atoms[0][1:] == (0.5, 0.5, 0.5, -1.0, 0.0, 1.0), atoms[0]
assert atoms[2][1:4] == (2.5, 2.5, 1.5), atoms[2]

bad = {
    "natoms.dump": (GOOD.replace("ATOMS\n3\n", "ATOMS\nthree\n"), ":4: expected the number of atoms"),
    "type.dump": (GOOD.replace("2 2 10", "2 4 10"), ":12: type 4: expected 1 (Li), 2 (P) or 3 (S)"),
    "column.dump": (GOOD.replace(" vx vy vz", " vx vy junk"), ":9: expected columns id type x y z vx vy vz (missing vz)"),
    "tilt.dump": (GOOD.replace("ITEM: BOX BOUNDS pp pp pp\n-1 11\n0 8\n2 8\n",
                               "ITEM: BOX BOUNDS xy xz yz pp pp pp\n-1 11 0.5\n0 8 0\n2 8 0\n"), ":5: expected an orthorhombic box"),
    "short.dump": (GOOD.rsplit("2 2 10", 1)[0], ":11: frame at step 7 truncated: 2 of 3 atoms"),
    "number.dump": (GOOD.replace("3.5 0.1", "3.5 x0.1"), ":10:"),
    "dupid.dump": (GOOD.replace("2 2 10", "1 2 10"), ":9: atom ids are not unique"),
    "empty.dump": ("", "no frame"),
}
for name, (text, phrase) in bad.items():
    p = write(name, text)
    try:
        aimd.read_start(p)
    except aimd.AimdError as e:
        assert p in str(e) and phrase in str(e), (name, str(e))
    else:
        raise AssertionError("%s was accepted" % name)
try:
    aimd.read_start(os.path.join(work, "missing.dump"))
except aimd.AimdError as e:
    assert "missing.dump" in str(e), str(e)
else:
    raise AssertionError("a missing file was accepted")
print("aimd start reader: ok")
