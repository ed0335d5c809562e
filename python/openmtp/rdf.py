# SPDX-License-Identifier: BSD-3-Clause
"""Partial radial distribution functions g_AB(r) of periodic (also triclinic)
cells, from LAMMPS dumps or CP2K/XYZ trajectories, and the numbers used to
compare two of them (first peak, coordination number, integrated difference).

Periodic images: fractional displacements are wrapped to [-1/2, 1/2) and then
every image shift s with (|s_i| - 1/2) w_i < r_max is added, w_i being the
perpendicular width of the cell along axis i (V / |a_j x a_k|).  That finds
every pair closer than r_max whatever the cell shape and whether or not r_max
exceeds half a width (the 32-atom beta-Li3PS4 cell is 6.1 A thick along c).

    g_AB(r) = <count of B atoms (all periodic images) at distance in [r, r+dr)
              around an A atom> / (rho_B 4 pi r^2 dr),  rho_B = N_B / V
    n_AB(r) = cumulative count of B within r of an A atom (coordination number)

The shell volume is exact ((4/3) pi (r2^3 - r1^3)), so an ideal gas gives g = 1.
"total" is the species-blind g(r) of all atoms.

    python3 -m openmtp.rdf TRAJ [--format=lammps|xyz] [--cell=ax,ay,az,bx,...|a,b,c]
        [--rmax=6] [--bin=0.02] [--skip=0] [--every=1] [--count=N] > rdf.txt
    (--count: at most N frames after --skip, every --every-th; 0 = all)
"""

import itertools
import math
import sys

from . import _lammps_dump
from ._textfile import open_text


class RdfError(ValueError):
    """Bad trajectory or options (the message names the file and line)."""


def _np():
    try:
        import numpy
    except ImportError:  # pragma: no cover
        raise RdfError("openmtp.rdf needs numpy (Debian: python3-numpy)")
    return numpy


def _num(tok, path, no, what):
    try:
        return float(tok)
    except ValueError:
        raise RdfError("%s:%d: expected %s, found '%s'" % (path, no, what, tok))


def read_lammps_dump(path, type_names=None):
    """Frames [(cell 3x3 rows = a, b, c), positions (N x 3), species names]] of a
    LAMMPS text dump with columns id type and x y z (or xu yu zu / xs ys zs);
    triclinic boxes (ITEM: BOX BOUNDS xy xz yz) are converted to cell vectors.
    type_names maps LAMMPS types (1, 2, ...) to names (default: the type numbers)."""
    _np()  # a missing numpy is an RdfError, before the reader needs it
    frames = []
    for fr in _lammps_dump.frames(path, RdfError):
        cols = fr.columns
        if "type" not in cols:
            raise RdfError("%s:%d: the dump needs a 'type' column" % (path, fr.atoms_line))
        for triple, scaled in ((("x", "y", "z"), False), (("xu", "yu", "zu"), False), (("xs", "ys", "zs"), True)):
            if all(c in cols for c in triple):
                ix = [cols.index(c) for c in triple]
                break
        else:
            raise RdfError("%s:%d: the dump needs x y z (or xu yu zu, xs ys zs) columns" % (path, fr.atoms_line))
        origin, cell = _lammps_dump.cell(fr)
        pos = fr.values[:, ix]
        pos = pos @ cell if scaled else pos - origin
        frames.append((cell, pos, _type_names(fr, cols.index("type"), type_names, path)))
    if not frames:
        raise RdfError("%s: no frames" % path)
    return frames


def _type_names(fr, column, type_names, path):
    """Species names of a frame's atoms: type_names[type - 1], or the type numbers."""
    names = []
    for k, t in enumerate(fr.values[:, column]):
        if t != int(t) or t < 1:
            raise RdfError("%s:%d: expected a LAMMPS type (an integer >= 1), found %g"
                           % (path, fr.atoms_line + 1 + k, t))
        if type_names and t > len(type_names):
            raise RdfError("%s:%d: type %d has no name: expected 1 to %d (names %s)"
                           % (path, fr.atoms_line + 1 + k, t, len(type_names), ",".join(type_names)))
        names.append(type_names[int(t) - 1] if type_names else str(int(t)))
    return names


def read_xyz(path, cell):
    """Frames of a plain (CP2K) XYZ trajectory in a fixed cell (3x3 rows)."""
    np = _np()
    cell = np.asarray(cell, float)
    f = open_text(path, RdfError)
    with f:
        lines = f.readlines()
    frames, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        natoms = lines[i].split()[0]
        if not natoms.isdigit():
            raise RdfError("%s:%d: expected the number of atoms, found '%s'" % (path, i + 1, lines[i].strip()))
        natoms = int(natoms)
        body = lines[i + 2:i + 2 + natoms]
        if len(body) < natoms:
            raise RdfError("%s:%d: frame truncated: %d of %d atoms" % (path, len(lines), len(body), natoms))
        pos = np.empty((natoms, 3))
        names = []
        for k, line in enumerate(body):
            t = line.split()
            if len(t) < 4:
                raise RdfError("%s:%d: expected 'element x y z'" % (path, i + 3 + k))
            names.append(t[0])
            pos[k] = [_num(x, path, i + 3 + k, "a coordinate") for x in t[1:4]]
        frames.append((cell, pos, names))
        i += 2 + natoms
    if not frames:
        raise RdfError("%s: no frames" % path)
    return frames


def perpendicular_widths(cell):
    np = _np()
    cell = np.asarray(cell, float)
    vol = abs(np.linalg.det(cell))
    if vol <= 0:
        raise RdfError("degenerate cell (volume %g)" % vol)
    return [vol / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)]


def _pair_histogram(cell, fa, fb, same, edges, chunk=256):
    """Histogram of all A-B image distances < edges[-1] (ordered pairs, self excluded)."""
    np = _np()
    rmax = edges[-1]
    nimg = [int(math.ceil(rmax / w + 0.5)) for w in perpendicular_widths(cell)]
    shifts = np.array(list(itertools.product(*[range(-m, m + 1) for m in nimg])), float)
    found = []
    for s0 in range(0, len(fa), chunk):
        d = fb[None, :, :] - fa[s0:s0 + chunk, None, :]
        d -= np.floor(d + 0.5)
        for s in shifts:
            r = np.linalg.norm((d + s) @ cell, axis=2)
            if same and not s.any():
                idx = np.arange(s0, min(s0 + chunk, len(fa)))
                r[idx - s0, idx] = np.inf
            found.append(r[r < rmax])
    hist = np.histogram(np.concatenate(found), bins=edges)[0].astype(float)
    return hist


def compute(frames, rmax=6.0, dr=0.02, pairs=None):
    """{'r': bin centres, 'edges', 'g': {pair: g}, 'cn': {pair: n(r) at the bin's upper edge},
    'frames': F, 'species': [...]}; pairs like ('Li', 'S') (A around which B is counted),
    default every unordered pair of species in sorted order plus 'total'."""
    np = _np()
    if rmax <= 0 or dr <= 0:
        raise RdfError("rmax and bin must be > 0")
    edges = np.arange(0.0, rmax + 0.5 * dr, dr)
    species = sorted(set(frames[0][2]))
    if pairs is None:
        pairs = [(a, b) for k, a in enumerate(species) for b in species[k:]] + ["total"]
    counts = {p: np.zeros(len(edges) - 1) for p in pairs}
    norm = {p: 0.0 for p in pairs}
    ncentre = {p: 0 for p in pairs}
    for cell, pos, names in frames:
        cell = np.asarray(cell, float)
        frac = pos @ np.linalg.inv(cell)
        vol = abs(np.linalg.det(cell))
        names = np.asarray(names)
        for p in pairs:
            if p == "total":
                ia = ib = np.arange(len(names))
                same = True
            else:
                ia, ib = np.nonzero(names == p[0])[0], np.nonzero(names == p[1])[0]
                same = p[0] == p[1]
            if len(ia) == 0 or len(ib) == 0:
                raise RdfError("pair %s-%s: species missing in a frame" % p)
            counts[p] += _pair_histogram(cell, frac[ia], frac[ib], same, edges)
            # N_B / V also for A = B: every image of the A atom itself is counted
            # too, so g -> 1 at large r in a crystal (an ideal gas of N atoms
            # gives (N - 1) / N below the cell's half-width)
            norm[p] += len(ia) * len(ib) / vol
            ncentre[p] += len(ia)
    shell = 4.0 / 3.0 * math.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    g = {p: counts[p] / (norm[p] * shell) for p in pairs}
    cn = {p: np.cumsum(counts[p]) / ncentre[p] for p in pairs}
    return {"r": 0.5 * (edges[1:] + edges[:-1]), "edges": edges, "g": g, "cn": cn,
            "frames": len(frames), "species": species, "pairs": pairs}


def pair_name(p):
    return "total" if p == "total" else "%s-%s" % p


def first_peak(r, g, onset=1.0):
    """(position, height) of the first maximum of g: from the first bin where
    g exceeds `onset`, uphill (on a 3-bin running mean) to the local maximum."""
    np = _np()
    gs = np.convolve(g, np.ones(3) / 3.0, mode="same")
    above = np.nonzero(gs > onset)[0]
    if len(above) == 0:
        return float("nan"), float("nan")
    k = above[0]
    while k + 1 < len(gs) and gs[k + 1] >= gs[k]:
        k += 1
    lo, hi = max(0, k - 2), min(len(g), k + 3)
    j = lo + int(np.argmax(g[lo:hi]))
    return float(r[j]), float(g[j])


def first_minimum(r, g, onset=1.0, window=1.2):
    """Position of the minimum of g (3-bin running mean) within `window` A after
    the first peak: the shell boundary for coordination numbers (a window,
    not the first dip, so that noise in a short run does not cut the shell)."""
    np = _np()
    gs = np.convolve(g, np.ones(3) / 3.0, mode="same")
    p, _ = first_peak(r, g, onset)
    if not math.isfinite(p):
        return float("nan")
    sel = np.nonzero((r > p) & (r <= p + window))[0]
    if len(sel) == 0:
        return float("nan")
    return float(r[sel[int(np.argmin(gs[sel]))]])


def cn_at(result, pair, rc):
    """Coordination number n_AB(rc) (linear interpolation in the cumulative count)."""
    np = _np()
    return float(np.interp(rc, result["edges"][1:], result["cn"][pair]))


def integrated_abs_difference(r, g1, g2):
    """int |g1 - g2| dr over the common grid (A)."""
    np = _np()
    dr = r[1] - r[0]
    return float(np.sum(np.abs(np.asarray(g1) - np.asarray(g2))) * dr)


def write_table(result, out):
    pairs = result["pairs"]
    out.write("# partial RDFs from %d frames; species %s; g then n(r) (coordination, cumulative) per pair\n"
              % (result["frames"], " ".join(result["species"])))
    out.write("# r " + " ".join("g_%s" % pair_name(p) for p in pairs) + " "
              + " ".join("n_%s" % pair_name(p) for p in pairs) + "\n")
    for k, r in enumerate(result["r"]):
        out.write("%.4f " % r + " ".join("%.5f" % result["g"][p][k] for p in pairs) + " "
                  + " ".join("%.5f" % result["cn"][p][k] for p in pairs) + "\n")


def read_table(path):
    """The result of write_table (r, edges, g, cn, pairs by name, frames)."""
    np = _np()
    f = open_text(path, RdfError)
    with f:
        first = f.readline()
        header = f.readline().split()
        rows = []
        for no, line in enumerate(f, 3):
            t = line.split()
            if len(t) != len(header) - 1:
                raise RdfError("%s:%d: expected %d columns, found %d" % (path, no, len(header) - 1, len(t)))
            rows.append([_num(x, path, no, "a number") for x in t])
    if not first.startswith("# partial RDFs from") or header[:2] != ["#", "r"] or not rows:
        raise RdfError("%s:1: expected an openmtp.rdf table" % path)
    data = np.array(rows)
    names = [h[2:] for h in header[2:] if h.startswith("g_")]
    m = len(names)
    r = data[:, 0]
    dr = r[1] - r[0] if len(r) > 1 else 2 * r[0]
    edges = np.concatenate([r - 0.5 * dr, [r[-1] + 0.5 * dr]])
    return {"r": r, "edges": edges, "pairs": names, "frames": int(first.split()[4]),
            "g": {n: data[:, 1 + k] for k, n in enumerate(names)},
            "cn": {n: data[:, 1 + m + k] for k, n in enumerate(names)}}


def _parse_cell(spec):
    v = [float(x) for x in spec.split(",")]
    if len(v) == 3:
        return [[v[0], 0, 0], [0, v[1], 0], [0, 0, v[2]]]
    if len(v) == 9:
        return [v[0:3], v[3:6], v[6:9]]
    raise RdfError("--cell: expected a,b,c or 9 numbers (rows a, b, c)")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    opts = {"format": None, "cell": None, "rmax": "6", "bin": "0.02", "skip": "0", "every": "1",
            "count": "0", "types": None}
    files = []
    try:
        for a in argv:
            if a.startswith("--") and "=" in a and a[2:a.index("=")] in opts:
                opts[a[2:a.index("=")]] = a[a.index("=") + 1:]
            elif a.startswith("-"):
                raise RdfError("unknown option '%s'" % a)
            else:
                files.append(a)
        if len(files) != 1:
            raise RdfError("expected one trajectory file")
        path = files[0]
        fmt = opts["format"] or ("xyz" if path.endswith(".xyz") else "lammps")
        if fmt == "xyz":
            if not opts["cell"]:
                raise RdfError("%s: an XYZ trajectory needs --cell=a,b,c (or 9 numbers)" % path)
            frames = read_xyz(path, _parse_cell(opts["cell"]))
        elif fmt == "lammps":
            names = opts["types"].split(",") if opts["types"] else None
            frames = read_lammps_dump(path, names)
        else:
            raise RdfError("--format: expected lammps or xyz")
        skip, every, count = int(opts["skip"]), int(opts["every"]), int(opts["count"])
        if skip < 0 or every < 1 or count < 0:
            raise RdfError("expected --skip >= 0, --every >= 1, --count >= 0")
        frames = frames[skip::every][:count or None]
        if not frames:
            raise RdfError("%s: no frames left after --skip=%d" % (path, skip))
        res = compute(frames, float(opts["rmax"]), float(opts["bin"]))
    except (RdfError, ValueError) as e:
        sys.stderr.write("openmtp.rdf: %s\n" % e)
        return 1
    write_table(res, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
