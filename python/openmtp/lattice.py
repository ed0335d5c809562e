# SPDX-License-Identifier: BSD-3-Clause
"""Lattice parameters from an NPT run: block averages of a LAMMPS `fix ave/time`
series of a, b, c (A, per crystal cell), with the standard error of the block
means as error bar (blocks much longer than the cell's correlation time are
independent).  V = a b c (orthorhombic cell) is averaged frame by frame.

    python3 -m openmtp.lattice SERIES [--blocks=10] [--temp=T] > lattice.txt

lattice.txt: a header line, then 'a MEAN ERR', 'b ...', 'c ...', 'V ...'
(A, A^3) and 'samples N blocks B'.
"""

import math
import sys

from ._textfile import data_lines, open_text

NAMES = ("a", "b", "c", "V")


class LatticeError(ValueError):
    pass


def read_series(path):
    rows = []
    with open_text(path, LatticeError) as f:
        for no, t, _ in data_lines(f):
            if len(t) != 4:
                raise LatticeError("%s:%d: expected 'step a b c', found %d fields" % (path, no, len(t)))
            try:
                v = [float(x) for x in t]
            except ValueError:
                raise LatticeError("%s:%d: expected numbers" % (path, no))
            if not all(math.isfinite(x) and x > 0 for x in v[1:]):
                raise LatticeError("%s:%d: expected positive lattice parameters" % (path, no))
            rows.append(v[1:] + [v[1] * v[2] * v[3]])
    return rows


def block_average(values, blocks):
    n = len(values) // blocks
    if blocks < 2 or n < 1:
        raise LatticeError("need at least 2 blocks of 1 sample (%d samples, %d blocks)" % (len(values), blocks))
    means = [sum(values[k * n:(k + 1) * n]) / n for k in range(blocks)]
    m = sum(means) / blocks
    var = sum((x - m) ** 2 for x in means) / (blocks - 1)
    return m, math.sqrt(var / blocks)


def analyse(path, blocks=10):
    rows = read_series(path)
    if len(rows) < blocks:
        raise LatticeError("%s: %d samples, fewer than %d blocks" % (path, len(rows), blocks))
    return {"samples": len(rows), "blocks": blocks,
            **{k: block_average([r[i] for r in rows], blocks) for i, k in enumerate(NAMES)}}


def read_result(path):
    """The dict written by main() (lattice.txt)."""
    out = {}
    with open_text(path, LatticeError) as f:
        lines = f.read().splitlines()
    for no, t, line in data_lines(lines):
        try:
            if t[0] in NAMES and len(t) == 3:
                out[t[0]] = (float(t[1]), float(t[2]))
            elif t[0] == "samples" and len(t) == 4:
                out["samples"], out["blocks"] = int(t[1]), int(t[3])
            elif t[0] == "T" and len(t) == 2:
                out["T"] = float(t[1])
            else:
                raise ValueError
        except ValueError:
            raise LatticeError("%s:%d: unexpected line '%s'" % (path, no, line))
    missing = [k for k in NAMES if k not in out]
    if missing:
        raise LatticeError("%s: no %s line" % (path, ", ".join(missing)))
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    blocks, temp, files = 10, None, []
    for a in argv:
        if a.startswith("--blocks="):
            blocks = int(a[9:])
        elif a.startswith("--temp="):
            temp = float(a[7:])
        elif a.startswith("-"):
            sys.stderr.write("openmtp.lattice: unknown option '%s'\n" % a)
            return 2
        else:
            files.append(a)
    if len(files) != 1:
        sys.stderr.write("usage: python3 -m openmtp.lattice SERIES [--blocks=10] [--temp=T]\n")
        return 2
    try:
        r = analyse(files[0], blocks)
    except LatticeError as e:
        sys.stderr.write("openmtp.lattice: %s\n" % e)
        return 1
    print("# NPT lattice of the crystal cell (A, A^3): mean and standard error of %d block means, %s"
          % (blocks, files[0]))
    if temp is not None:
        print("T %g" % temp)
    for k in NAMES:
        print("%s %.5f %.5f" % (k, r[k][0], r[k][1]))
    print("samples %d blocks %d" % (r["samples"], r["blocks"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
