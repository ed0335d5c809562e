#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""How well the CP2K force on a cut cell's trusted centre atom matches the same atom's force in
the whole cell (make -C examples/li3ps4-gb/cut-check; README.md there).

    compare.py FULL.cfg CUTS.cfg [CUTS.cfg ...] [--out=TABLE.md]

FULL.cfg: the whole cell, labelled.  Each CUTS.cfg: labelled cells of `mtp cut_extrapolative_nbh
--periodic` of that cell (feature cut_geometry with its buffer; force_weight 1 on the centres).
Each centre is found in the whole cell through its feature nbh# (0-based index there), checked
by position (cell position + origin = whole-cell position, modulo the whole cell's lattice).
Prints one row per centre and buffer: species, |F| in the whole cell, |dF| and max component
of dF (eV/A), and a summary per buffer (MAE over components, max |dF|).
"""
import argparse
import sys

import numpy as np

from openmtp.io import read_cfg

SPECIES = ["Li", "P", "S"]


def geometry(atoms):
    """(buffer, origin[3], centres[list of whole-cell indices]) of a cut cell's features."""
    geo = atoms.info.get("cut_geometry", "")
    fields = dict(kv.split("=", 1) for kv in geo.split() if "=" in kv)
    if "buffer" not in fields or "origin" not in fields:
        raise ValueError("no cut_geometry feature with buffer= and origin= (not a cut cell?)")
    origin = np.array([float(v) for v in fields["origin"].split(",")])
    centres = [int(v) for v in str(atoms.info.get("nbh#", "")).replace(",", " ").split()]
    if not centres:
        raise ValueError("no nbh# feature (the centres' indices in the whole cell)")
    return float(fields["buffer"]), origin, centres


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("full")
    ap.add_argument("cuts", nargs="+")
    ap.add_argument("--out", help="also write the table (Markdown) here")
    a = ap.parse_args(argv)
    full = read_cfg(a.full, SPECIES)
    if len(full) != 1:
        sys.exit("compare.py: %s: expected one labelled whole cell, found %d" % (a.full, len(full)))
    full = full[0]
    ffull = full.get_forces()
    cell = np.array(full.cell)
    rows, per_buffer = [], {}
    for path in a.cuts:
        for k, cut in enumerate(read_cfg(path, SPECIES)):
            try:
                buffer, origin, centres = geometry(cut)
            except ValueError as e:
                sys.exit("compare.py: %s: configuration %d: %s" % (path, k + 1, e))
            w = cut.arrays.get("force_weights")
            if w is None:
                sys.exit("compare.py: %s: configuration %d: no force_weight column" % (path, k + 1))
            trusted = np.flatnonzero(w > 0)
            fcut = cut.get_forces()
            for c in centres:
                if not 0 <= c < len(full):
                    sys.exit("compare.py: %s: configuration %d: nbh# %d is not an atom of %s" % (path, k + 1, c, a.full))
                # the trusted atom of the cut cell at the centre's position
                d = cut.positions[trusted] + origin - full.positions[c]
                frac = np.linalg.solve(cell.T, d.T).T
                d = (frac - np.round(frac)) @ cell
                j = int(np.argmin(np.linalg.norm(d, axis=1)))
                if np.linalg.norm(d[j]) > 1e-4:
                    sys.exit("compare.py: %s: configuration %d: no trusted atom at centre %d's position (%.2g A off)"
                             % (path, k + 1, c, np.linalg.norm(d[j])))
                df = fcut[trusted[j]] - ffull[c]
                rows.append((buffer, c, full.get_chemical_symbols()[c], np.linalg.norm(ffull[c]),
                             np.linalg.norm(df), np.max(np.abs(df)), len(cut)))
                per_buffer.setdefault((buffer, len(cut)), []).append(df)
    lines = ["| buffer (A) | centre | species | cut cell atoms | F whole cell (eV/A) | dF (eV/A) | max component (eV/A) |",
             "|---|---|---|---|---|---|---|"]
    for b, c, s, f, df, dmax, n in sorted(rows):
        lines.append("| %.1f | %d | %s | %d | %.3f | %.4f | %.4f |" % (b, c, s, n, f, df, dmax))
    lines += ["", "| buffer (A) | centres | MAE over components (eV/A) | max dF (eV/A) |", "|---|---|---|---|"]
    by_b = {}
    for (b, _n), dfs in per_buffer.items():
        by_b.setdefault(b, []).extend(dfs)
    for b in sorted(by_b):
        d = np.array(by_b[b])
        lines.append("| %.1f | %d | %.4f | %.4f |" % (b, len(d), np.mean(np.abs(d)), np.max(np.linalg.norm(d, axis=1))))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        from openmtp._textfile import write_atomic
        write_atomic(a.out, text)


if __name__ == "__main__":
    main()
