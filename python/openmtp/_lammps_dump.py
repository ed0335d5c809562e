# SPDX-License-Identifier: BSD-3-Clause
"""LAMMPS text dumps (dump custom, write_dump) frame by frame, shared by the analysis
modules (rdf, region_diffusion) so that they read the format alike and report bad input
alike: 'file:line: what was expected', raised as the caller's own error class.

This module checks only what makes a frame a frame (the ITEM lines, integers where LAMMPS
writes integers, finite numbers, one line of len(columns) numbers per atom); what a frame
must hold (which columns, the same atoms in every frame, increasing steps) is the caller's."""

import collections

from ._textfile import open_text

Frame = collections.namedtuple("Frame", "step line natoms bounds tilt columns atoms_line values")
Frame.__doc__ = """One frame of a dump.
    step        the timestep (int)
    line        line number (from 1) of the frame's 'ITEM: TIMESTEP'
    natoms      the number of atoms
    bounds      [(lo, hi)] * 3 as written (for a triclinic box LAMMPS writes the bounding box)
    tilt        (xy, xz, yz), or None for an orthogonal box
    columns     the names after 'ITEM: ATOMS'
    atoms_line  line number of 'ITEM: ATOMS' (atom k, from 0, stands on atoms_line + 1 + k)
    values      natoms x len(columns) numpy float array, in file order"""


def frames(path, error):
    """Yield the frames of the LAMMPS text dump at path in file order (Frame).  Bad input
    raises error('PATH:LINE: what was expected'), a file that cannot be opened
    error('PATH: reason').  Frames are yielded as they are parsed, so that a caller's own
    check of an early frame is reported before a defect further down the file."""
    import numpy as np  # here, not at import: rdf reports a missing numpy in its own words

    with open_text(path, error) as f:
        lines = f.read().split("\n")
    # split("\n") rather than splitlines(): the line numbers are those an editor shows
    last = len(lines) - 1 if lines[-1] == "" else len(lines)

    def fail(k, what):
        raise error("%s:%d: %s" % (path, k + 1, what))

    def line(k, what):
        """Line k (from 0); past the end of the file the frame is truncated."""
        if k >= last:
            fail(last - 1, "frame truncated: expected %s, found the end of the file" % what)
        return lines[k]

    def expected(k, what):
        fail(k, "expected %s, found '%s'" % (what, lines[k].strip()))

    def integer(k, what):
        t = line(k, what).split()
        try:
            if len(t) != 1:
                raise ValueError
            return int(t[0])
        except ValueError:
            expected(k, what)

    def numbers(k, count, what):
        t = line(k, what).split()
        try:
            if len(t) != count:
                raise ValueError
            v = [float(x) for x in t]
        except ValueError:
            expected(k, what)
        if not all(np.isfinite(v)):
            expected(k, what + " of finite numbers")
        return v

    def block(first, natoms, columns, step):
        """natoms x len(columns) floats of lines[first:first + natoms]."""
        body = lines[first:first + natoms]
        ncol = len(columns)
        what = "%d numbers (%s)" % (ncol, " ".join(columns))
        # one line of ncol numbers per atom: a short line followed by a long one would
        # otherwise shift the columns of every atom after it unnoticed
        counts = list(map(len, map(str.split, body)))
        if counts.count(ncol) != natoms:
            expected(first + next(j for j, c in enumerate(counts) if c != ncol), what)
        try:
            values = np.array(" ".join(body).split(), float).reshape(natoms, ncol)
        except ValueError:
            for j, text in enumerate(body):  # only on bad input: find the line
                for col, tok in zip(columns, text.split()):
                    try:
                        float(tok)
                    except ValueError:
                        fail(first + j, "expected a number in column '%s', found '%s'" % (col, tok))
            raise  # pragma: no cover (every token parsed on its own)
        bad = ~np.isfinite(values)
        if bad.any():
            j, c = np.argwhere(bad)[0]
            fail(first + j, "expected a finite number in column '%s' of the frame at step %d, found '%s'"
                 % (columns[c], step, body[j].split()[c]))
        return values

    k = 0
    while k < last:
        if not lines[k].strip():
            k += 1
            continue
        start = k
        if lines[k].strip() != "ITEM: TIMESTEP":
            expected(k, "'ITEM: TIMESTEP'")
        step = integer(k + 1, "the timestep (an integer)")
        if not line(k + 2, "'ITEM: NUMBER OF ATOMS'").startswith("ITEM: NUMBER OF ATOMS"):
            expected(k + 2, "'ITEM: NUMBER OF ATOMS'")
        natoms = integer(k + 3, "the number of atoms")
        if natoms < 0:
            expected(k + 3, "the number of atoms (>= 0)")
        head = line(k + 4, "'ITEM: BOX BOUNDS ...'").split()
        if head[:3] != ["ITEM:", "BOX", "BOUNDS"]:
            expected(k + 4, "'ITEM: BOX BOUNDS ...'")
        if "abc" in head[3:]:
            # the general triclinic form (LAMMPS 2024 'dump_modify triclinic/general yes')
            # holds edge vectors, not bounds: read as bounds it would be a wrong cell
            expected(k + 4, "'ITEM: BOX BOUNDS [xy xz yz] ...' (the general triclinic "
                     "'abc origin' form is not read)")
        tilted = head[3:6] == ["xy", "xz", "yz"]
        rows = [numbers(k + 5 + j, 3 if tilted else 2, "'lo hi tilt'" if tilted else "'lo hi'")
                for j in range(3)]
        bounds = [(r[0], r[1]) for r in rows]
        tilt = tuple(r[2] for r in rows) if tilted else None
        head = line(k + 8, "'ITEM: ATOMS' and the column names").split()
        if head[:2] != ["ITEM:", "ATOMS"] or len(head) < 3:
            expected(k + 8, "'ITEM: ATOMS' and the column names")
        columns = head[2:]
        if k + 9 + natoms > last:
            fail(last - 1, "frame at step %d truncated: %d of %d atoms" % (step, last - (k + 9), natoms))
        values = block(k + 9, natoms, columns, step)
        yield Frame(step, start + 1, natoms, bounds, tilt, columns, k + 9, values)
        k += 9 + natoms


def cell(frame):
    """(origin [xlo, ylo, zlo], cell rows a, b, c as a 3x3 numpy array) of a frame's box:
    a = (xhi - xlo, 0, 0), b = (xy, yhi - ylo, 0), c = (xz, yz, zhi - zlo), with the lo/hi
    of a triclinic box recovered from the bounding box LAMMPS writes."""
    import numpy as np

    (xlob, xhib), (ylob, yhib), (zlo, zhi) = frame.bounds
    xy, xz, yz = frame.tilt or (0.0, 0.0, 0.0)
    xlo = xlob - min(0.0, xy, xz, xy + xz)
    xhi = xhib - max(0.0, xy, xz, xy + xz)
    ylo = ylob - min(0.0, yz)
    yhi = yhib - max(0.0, yz)
    return (np.array([xlo, ylo, zlo]),
            np.array([[xhi - xlo, 0, 0], [xy, yhi - ylo, 0], [xz, yz, zhi - zlo]], float))
