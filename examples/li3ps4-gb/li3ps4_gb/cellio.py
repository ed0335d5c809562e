# SPDX-License-Identifier: BSD-3-Clause
"""Reading and writing one periodic cell as MLIP text .cfg (types 0 Li, 1 P, 2 S) and as a
LAMMPS data file (atom_style atomic, types 1 Li, 2 P, 3 S, with masses).

A cell is a dict: 'cell' (3x3, rows are the lattice vectors, A), 'types' (int array, MLIP
types), 'pos' (N x 3 Cartesian, A), 'features' (list of (name, value) strings written as
'Feature' lines / LAMMPS header comments). Writers go through a temporary file and rename it,
so a failed write never leaves a half file under the final name."""
import os
import numpy as np
from . import MASSES, SPECIES


class CellFormatError(ValueError):
    """Malformed input; the message is 'file:line: what was expected'."""


def _atomic_write(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def lammps_frame(cell):
    """Rotation Q (box = Q @ crystal) and LAMMPS box of a cell: a along x, b in the xy plane,
    c with positive z.  Returns (Q, lo-hi lengths and tilts (lx, ly, lz, xy, xz, yz))."""
    a, b, c = (np.asarray(v, float) for v in cell)
    ex = a / np.linalg.norm(a)
    ez = np.cross(a, b)
    ez /= np.linalg.norm(ez)
    ey = np.cross(ez, ex)
    Q = np.array([ex, ey, ez])
    if np.dot(np.cross(a, b), c) <= 0:
        raise ValueError("cell is not right-handed (det <= 0)")
    A, B, C = Q @ a, Q @ b, Q @ c
    return Q, (A[0], B[1], C[2], B[0], C[0], C[1])


def write_cfg(path, cell):
    lines = ["BEGIN_CFG", " Size", "    %d" % len(cell["types"]), " Supercell"]
    for v in cell["cell"]:
        lines.append("    %16.9f %16.9f %16.9f" % tuple(v))
    lines.append(" AtomData:  id type       cartes_x      cartes_y      cartes_z")
    for i, (t, p) in enumerate(zip(cell["types"], cell["pos"])):
        lines.append("    %6d %4d %16.9f %16.9f %16.9f" % (i + 1, t, p[0], p[1], p[2]))
    for name, value in cell.get("features", []):
        lines.append(" Feature   %s\t%s" % (name, value))
    lines.append("END_CFG")
    _atomic_write(path, "\n".join(lines) + "\n\n")


def write_lammps_data(path, cell):
    """The cell must already be in LAMMPS orientation (a along x, b in xy): use to_lammps_frame."""
    h = np.asarray(cell["cell"], float)
    if abs(h[0, 1]) > 1e-9 or abs(h[0, 2]) > 1e-9 or abs(h[1, 2]) > 1e-9:
        raise ValueError("write_lammps_data: cell is not in LAMMPS orientation")
    out = ["# " + "; ".join("%s %s" % f for f in cell.get("features", [])) or "# cell", "",
           "%d atoms" % len(cell["types"]), "3 atom types", "",
           "0.0 %.9f xlo xhi" % h[0, 0], "0.0 %.9f ylo yhi" % h[1, 1],
           "0.0 %.9f zlo zhi" % h[2, 2],
           "%.9f %.9f %.9f xy xz yz" % (h[1, 0], h[2, 0], h[2, 1]), "", "Masses", ""]
    out += ["%d %.6f  # %s" % (i + 1, m, s) for i, (m, s) in enumerate(zip(MASSES, SPECIES))]
    out += ["", "Atoms  # atomic", ""]
    for i, (t, p) in enumerate(zip(cell["types"], cell["pos"])):
        out.append("%d %d %.9f %.9f %.9f" % (i + 1, t + 1, p[0], p[1], p[2]))
    _atomic_write(path, "\n".join(out) + "\n")


def to_lammps_frame(cell):
    """Same cell rotated so that it can be written as a LAMMPS data file; positions wrapped."""
    Q, _ = lammps_frame(cell["cell"])
    h = np.asarray(cell["cell"], float) @ Q.T
    h[0, 1:] = 0.0
    h[1, 2] = 0.0
    pos = np.asarray(cell["pos"], float) @ Q.T
    frac = pos @ np.linalg.inv(h)
    frac -= np.floor(frac)
    out = dict(cell)
    out.update(cell=h, pos=frac @ h, rotation=Q)
    return out


def read_cfg(path):
    """First configuration of an MLIP text .cfg (Cartesian or direct coordinates); "energy" is
    its Energy, or None when it has none."""
    with open(path) as f:
        lines = f.read().splitlines()

    def fail(k, what):
        raise CellFormatError("%s:%d: %s" % (path, k + 1, what))

    k = 0
    while k < len(lines) and lines[k].strip() != "BEGIN_CFG":
        k += 1
    if k == len(lines):
        fail(k - 1, "expected BEGIN_CFG")
    n, cell, types, pos, feats, energy = None, None, None, None, [], None
    k += 1
    while k < len(lines):
        s = lines[k].strip()
        if s == "Size":
            try:
                n = int(lines[k + 1].split()[0])
            except (IndexError, ValueError):
                fail(k + 1, "expected the number of atoms after Size")
            k += 2
        elif s == "Supercell":
            try:
                cell = np.array([[float(x) for x in lines[k + 1 + r].split()[:3]] for r in range(3)])
                if cell.shape != (3, 3):
                    raise ValueError
            except (IndexError, ValueError):
                fail(k + 1, "expected three rows of three numbers after Supercell")
            k += 4
        elif s.startswith("AtomData:"):
            cols = s.split()[1:]
            if n is None:
                fail(k, "expected Size before AtomData")
            try:
                it = cols.index("type")
                ix = cols.index("cartes_x") if "cartes_x" in cols else cols.index("direct_x")
            except ValueError:
                fail(k, "expected columns type and cartes_x/direct_x")
            rows = []
            for r in range(n):
                try:
                    w = lines[k + 1 + r].split()
                    rows.append((int(w[it]), float(w[ix]), float(w[ix + 1]), float(w[ix + 2])))
                except (IndexError, ValueError):
                    fail(k + 1 + r, "expected an atom row with %d columns" % len(cols))
            types = np.array([r[0] for r in rows], int)
            pos = np.array([r[1:] for r in rows], float)
            if "direct_x" in cols:
                pos = pos @ cell
            k += 1 + n
        elif s == "Energy":
            try:
                energy = float(lines[k + 1].split()[0])
            except (IndexError, ValueError):
                fail(k + 1, "expected the energy after Energy")
            k += 2
        elif s.startswith("Feature"):
            w = s.split(None, 2)
            feats.append((w[1] if len(w) > 1 else "", w[2] if len(w) > 2 else ""))
            k += 1
        elif s == "END_CFG":
            break
        else:
            k += 1
    if cell is None or types is None:
        fail(k, "expected Supercell and AtomData before END_CFG")
    if np.any((types < 0) | (types > 2)):
        fail(k, "expected types 0 (Li), 1 (P), 2 (S)")
    return {"cell": cell, "types": types, "pos": pos, "features": feats, "energy": energy}


def read_lammps_data(path):
    """A data file as written by write_lammps_data (atomic style, orthogonal or triclinic)."""
    with open(path) as f:
        lines = f.read().splitlines()

    def fail(k, what):
        raise CellFormatError("%s:%d: %s" % (path, k + 1, what))

    n = None
    lo_hi = {}
    tilt = (0.0, 0.0, 0.0)
    atoms_at = None
    for k, l in enumerate(lines):
        w = l.split("#")[0].split()
        if len(w) == 2 and w[1] == "atoms":
            n = int(w[0])
        elif len(w) == 4 and w[2][1:] == "lo" and w[3][1:] == "hi":
            lo_hi[w[2][0]] = (float(w[0]), float(w[1]))
        elif len(w) == 6 and w[3:] == ["xy", "xz", "yz"]:
            tilt = tuple(float(x) for x in w[:3])
        elif w and w[0] == "Atoms":
            atoms_at = k
            break
    if n is None or atoms_at is None or set(lo_hi) != {"x", "y", "z"}:
        fail(len(lines) - 1, "expected 'N atoms', xlo/ylo/zlo lines and an Atoms section")
    rows, k = [], atoms_at + 1
    while len(rows) < n:
        if k >= len(lines):
            fail(k - 1, "expected %d atom rows, found %d" % (n, len(rows)))
        w = lines[k].split("#")[0].split()
        if w:
            try:
                rows.append((int(w[0]), int(w[1]), float(w[2]), float(w[3]), float(w[4])))
            except (IndexError, ValueError):
                fail(k, "expected 'id type x y z'")
        k += 1
    rows.sort()
    (xl, xh), (yl, yh), (zl, zh) = lo_hi["x"], lo_hi["y"], lo_hi["z"]
    xy, xz, yz = tilt
    cell = np.array([[xh - xl, 0, 0], [xy, yh - yl, 0], [xz, yz, zh - zl]])
    pos = np.array([r[2:] for r in rows]) - np.array([xl, yl, zl])
    return {"cell": cell, "types": np.array([r[1] - 1 for r in rows], int), "pos": pos,
            "features": []}
