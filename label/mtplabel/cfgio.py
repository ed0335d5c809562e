# SPDX-License-Identifier: BSD-3-Clause
"""MLIP .cfg frames as mtp-label needs them.

This is not a second reader of the format: every .cfg that mtp-label reads
(IN, and each code's output) has first been read by libmtp's reader and
written by its writer (`mtp convert --no_loss`, see jobs.canonical_cfg), so
the library alone decides what a file means and rejects bad input with its
`file:line: what was expected`.  read_frames only splits that canonical
text (Size, Supercell, AtomData: with cartes_ columns, Energy on its own
line, PlusStress:, one Feature per line) into tokens, and refuses anything
else.  OUT is written back through the library as well.

A frame keeps its tokens (ids, types, positions, extra AtomData columns
such as force_weight, features) so that the labelled frame carries exactly
the structure that was asked for; only forces, energy, stress and the
EFS_by feature are replaced.  Units: Å, eV, eV/Å; the stress is MLIP's
virial W = -dE/deps in eV, order xx yy zz yz xz xy (PlusStress)."""

import os
import tempfile


class CfgError(Exception):
    """Malformed .cfg input; the message is 'file:line: what was expected'."""


LABEL_COLUMNS = ("fx", "fy", "fz")


class Frame:
    def __init__(self):
        self.index = 0          # position in the input file (0-based)
        self.text = ""          # the input text of the frame (job key)
        self.lattice = None     # 3 rows of 3 floats, or None (no Supercell)
        self.columns = []       # AtomData column names
        self.rows = []          # per atom: list of string tokens
        self.features = []      # (key, value) in input order
        self.energy = None
        self.forces = None      # n x 3 floats
        self.stress = None      # 6 floats, W in eV (xx yy zz yz xz xy)

    @property
    def n_atoms(self):
        return len(self.rows)

    def column(self, name):
        return self.columns.index(name) if name in self.columns else -1

    def types(self):
        k = self.column("type")
        return [int(r[k]) for r in self.rows]

    def positions(self):
        kx = self.column("cartes_x")
        return [[float(r[kx]), float(r[kx + 1]), float(r[kx + 2])] for r in self.rows]

    def periodicity(self):
        """Number of non-zero lattice rows (0 for a cluster)."""
        if self.lattice is None:
            return 0
        return sum(1 for row in self.lattice if any(abs(x) > 0 for x in row))


def read_frames(path):
    """All frames of a .cfg file as libmtp writes it (mtp convert --no_loss)."""
    frames = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
    except OSError as e:
        raise CfgError("%s: cannot read: %s" % (path, e.strerror))
    i = 0
    n = len(lines)

    def fail(line_no, what):
        raise CfgError("%s:%d: %s" % (path, line_no, what))

    while i < n:
        if lines[i].strip() != "BEGIN_CFG":
            if lines[i].strip():
                fail(i + 1, "expected BEGIN_CFG")
            i += 1
            continue
        start = i
        fr = Frame()
        fr.index = len(frames)
        size = None
        i += 1
        while True:
            if i >= n:
                fail(i, "unexpected end of file: expected END_CFG")
            t = lines[i].strip()
            words = t.split()
            if t == "END_CFG":
                break
            if t == "Size":
                i += 1
                try:
                    size = int(lines[i].split()[0])
                except (IndexError, ValueError):
                    fail(i + 1, "Size: expected an atom count")
            elif t == "Supercell":
                fr.lattice = []
                while i + 1 < n and len(lines[i + 1].split()) == 3 and not lines[i + 1].strip()[0].isalpha():
                    i += 1
                    try:
                        fr.lattice.append([float(x) for x in lines[i].split()])
                    except ValueError:
                        fail(i + 1, "Supercell: expected 3 numbers")
                if len(fr.lattice) == 0 or len(fr.lattice) > 3:
                    fail(i + 1, "Supercell: expected 1 to 3 rows of 3 numbers")
                while len(fr.lattice) < 3:
                    fr.lattice.append([0.0, 0.0, 0.0])
            elif words and words[0] == "AtomData:":
                fr.columns = words[1:]
                if "type" not in fr.columns or "cartes_x" not in fr.columns:
                    fail(i + 1, "AtomData: expected columns 'id type cartes_x cartes_y cartes_z ...'")
                if size is None:
                    fail(i + 1, "AtomData before Size")
                for _ in range(size):
                    i += 1
                    if i >= n:
                        fail(i, "unexpected end of file in AtomData")
                    row = lines[i].split()
                    if len(row) != len(fr.columns):
                        fail(i + 1, "AtomData: expected %d columns" % len(fr.columns))
                    fr.rows.append(row)
                try:
                    fr.types()
                    fr.positions()
                except ValueError:
                    fail(i + 1, "AtomData: expected integer types and finite positions")
                fx = fr.column("fx")
                if fx >= 0:
                    fr.forces = [[float(r[fx]), float(r[fx + 1]), float(r[fx + 2])] for r in fr.rows]
            elif t == "Energy":
                i += 1
                try:
                    fr.energy = float(lines[i])
                except (IndexError, ValueError):
                    fail(i + 1, "Energy: expected a number")
            elif words and words[0] == "PlusStress:":
                # a header "xx yy zz yz xz xy" and the values on the next line
                i += 1
                try:
                    v = [float(x) for x in lines[i].split()]
                except (ValueError, IndexError):
                    v = []
                if len(v) != 6:
                    fail(i + 1, "PlusStress: expected 6 numbers")
                fr.stress = v
            elif words and words[0] == "Feature":
                parts = t.split(None, 2)
                fr.features.append((parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""))
            elif t:
                fail(i + 1, "unexpected line in a configuration written by mtp convert: '%s'" % t[:40])
            i += 1
        if size is None or not fr.columns:
            fail(i + 1, "configuration without Size/AtomData")
        fr.text = "\n".join(lines[start:i + 1]) + "\n"
        frames.append(fr)
        i += 1
    return frames


def format_frame(fr, energy, forces, stress, efs_by):
    """Text of `fr` labelled with energy (eV), forces (eV/Å, input atom
    order), stress (W in eV, xx yy zz yz xz xy, or None) and EFS_by."""
    cols = [c for c in fr.columns if c not in LABEL_COLUMNS]
    base = [fr.column(c) for c in cols]
    head = cols[:]
    # forces right after the positions, extra columns (force_weight, ...) after them
    pos_end = fr.column("cartes_z") + 1
    n_before = sum(1 for k in base if k < pos_end)
    head = cols[:n_before] + list(LABEL_COLUMNS) + cols[n_before:]
    out = ["BEGIN_CFG", " Size", "    %d" % fr.n_atoms]
    if fr.lattice is not None:
        out.append(" Supercell")
        for row in fr.lattice:
            if any(abs(x) > 0 for x in row):
                out.append("    %.12g %.12g %.12g" % tuple(x + 0.0 for x in row))
    out.append(" AtomData:  " + " ".join(head))
    for r, f in zip(fr.rows, forces):
        toks = [r[k] for k in base]
        toks = toks[:n_before] + ["%.10e" % x for x in f] + toks[n_before:]
        out.append("    " + " ".join(toks))
    out.append(" Energy")
    out.append("    %.12f" % energy)
    if stress is not None:
        out.append(" PlusStress:  xx          yy          zz          yz          xz          xy")
        out.append("    " + " ".join("%.10e" % x for x in stress))
    for k, v in fr.features:
        if k != "EFS_by":
            out.append(" Feature   %s\t%s" % (k, v))
    out.append(" Feature   EFS_by\t%s" % efs_by)
    out.append("END_CFG")
    return "\n".join(out) + "\n\n"


def write_atomic(path, text):
    """Replace `path` by `text` atomically (temporary file + fsync + rename)."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path) + ".", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        mask = os.umask(0)  # mkstemp creates 0600; give the file the usual mode
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---- small 3x3 linear algebra (no numpy: standard library only) ----------

def det3(m):
    return (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
            m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))


def inv3(m):
    d = det3(m)
    if d == 0:
        raise ValueError("singular cell")
    c = [[m[(j + 1) % 3][(i + 1) % 3] * m[(j + 2) % 3][(i + 2) % 3] -
          m[(j + 1) % 3][(i + 2) % 3] * m[(j + 2) % 3][(i + 1) % 3] for j in range(3)] for i in range(3)]
    return [[c[i][j] / d for j in range(3)] for i in range(3)]


def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def transpose(a):
    return [[a[j][i] for j in range(3)] for i in range(3)]


def vecmat(v, m):
    return [sum(v[k] * m[k][j] for k in range(3)) for j in range(3)]


def stress6_to_3x3(w):
    xx, yy, zz, yz, xz, xy = w
    return [[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]]


def stress3x3_to_6(m):
    return [m[0][0], m[1][1], m[2][2], m[1][2], m[0][2], m[0][1]]


def match_atoms(frame, positions, lattice, tol=2e-3):
    """perm[k] = index in `frame` of the k-th atom of a code's output
    (`positions`), matched by position up to lattice translations (codes
    may reorder atoms by species or wrap them into the cell).  Raises
    ValueError when the structures differ."""
    ref = frame.positions()
    if len(ref) != len(positions):
        raise ValueError("the output has %d atoms, the frame %d" % (len(positions), len(ref)))
    periodic = frame.lattice is not None and frame.periodicity() == 3
    inv = inv3(frame.lattice) if periodic else None
    used = [False] * len(ref)
    perm = []
    for k, p in enumerate(positions):
        best, best_d = -1, tol
        for i, q in enumerate(ref):
            if used[i]:
                continue
            d = [p[a] - q[a] for a in range(3)]
            if periodic:
                f = vecmat(d, inv)
                f = [x - round(x) for x in f]
                d = vecmat(f, frame.lattice)
            dist = max(abs(x) for x in d)
            if dist < best_d:
                best, best_d = i, dist
        if best < 0:
            raise ValueError("atom %d of the output (%.6f %.6f %.6f) is at no atom of the frame" % (k + 1, p[0], p[1], p[2]))
        used[best] = True
        perm.append(best)
    return perm
