#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed structures of the beta-Li3PS4 campaign (issue 9), from the partially
relaxed ordered model cp2k/beta-Li3PS4_geoopt_partial.cfg.

Each frame = the model, strained affinely (cell and positions) by a strain
matrix, then every Cartesian coordinate displaced by a vector of random
direction and length drawn uniformly in [d_min, d_max] (numpy seed per frame,
fixed, so the output is byte-for-byte reproducible).  Types stay as in the
input: 0 = Li, 1 = P, 2 = S (TYPE_ORDER=Li,P,S).

The frames are listed most-diverse first (alternating strain kinds and
displacement sizes), so that the first few labelled frames already span the
set; labelling in this order and stopping early still gives a useful seed.

usage: make_seed.py [IN.cfg] [OUT.cfg]    (defaults: the model, stdout)
"""
import sys
import numpy as np

# name, strain (diagonal e_xx, e_yy, e_zz), displacement range (A), seed
FRAMES = [
    ("rattle-0.10",       (0.00, 0.00, 0.00), (0.05, 0.15), 101),
    ("iso+5%",            (0.05, 0.05, 0.05), (0.05, 0.10), 102),
    ("iso-5%",            (-0.05, -0.05, -0.05), (0.05, 0.10), 103),
    ("uniax-a+4%",        (0.04, 0.00, 0.00), (0.05, 0.10), 104),
    ("rattle-0.15",       (0.00, 0.00, 0.00), (0.10, 0.15), 105),
    ("uniax-c-4%",        (0.00, 0.00, -0.04), (0.05, 0.10), 106),
    ("iso+2.5%",          (0.025, 0.025, 0.025), (0.10, 0.15), 107),
    ("iso-2.5%",          (-0.025, -0.025, -0.025), (0.10, 0.15), 108),
    ("uniax-b+3%",        (0.00, 0.03, 0.00), (0.05, 0.15), 109),
    ("rattle-0.05",       (0.00, 0.00, 0.00), (0.05, 0.08), 110),
    ("iso+5%-hot",        (0.05, 0.05, 0.05), (0.10, 0.15), 111),
    ("iso-5%-hot",        (-0.05, -0.05, -0.05), (0.10, 0.15), 112),
    ("uniax-a-3%",        (-0.03, 0.00, 0.00), (0.05, 0.15), 113),
    ("uniax-c+4%",        (0.00, 0.00, 0.04), (0.05, 0.15), 114),
    ("iso+1%",            (0.01, 0.01, 0.01), (0.05, 0.15), 115),
    ("rattle-0.12",       (0.00, 0.00, 0.00), (0.08, 0.15), 116),
]


def read_cfg(path):
    lines = open(path).read().splitlines()
    i = 0
    while lines[i].strip() != "Size":
        i += 1
    n = int(lines[i + 1])
    j = lines.index(" Supercell") if " Supercell" in lines else \
        [k for k, l in enumerate(lines) if l.strip() == "Supercell"][0]
    cell = np.array([[float(x) for x in lines[j + 1 + r].split()] for r in range(3)])
    k = [k for k, l in enumerate(lines) if l.strip().startswith("AtomData:")][0]
    rows = [lines[k + 1 + a].split() for a in range(n)]
    types = [int(r[1]) for r in rows]
    pos = np.array([[float(x) for x in r[2:5]] for r in rows])
    return cell, types, pos


def frame_text(cell, types, pos, name):
    out = ["BEGIN_CFG", " Size", "    %d" % len(types), " Supercell"]
    for v in cell:
        out.append("    %14.8f %14.8f %14.8f" % tuple(v))
    out.append(" AtomData:  id type       cartes_x      cartes_y      cartes_z")
    for a, (t, p) in enumerate(zip(types, pos)):
        out.append("    %6d %4d %14.8f %14.8f %14.8f" % (a + 1, t, p[0], p[1], p[2]))
    out.append(" Feature   seed_frame %s" % name)
    out.append("END_CFG")
    out.append("")
    return "\n".join(out) + "\n"


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else \
        __file__.rsplit("/", 1)[0] + "/cp2k/beta-Li3PS4_geoopt_partial.cfg"
    cell, types, pos = read_cfg(src)
    text = []
    for name, strain, (dmin, dmax), seed in FRAMES:
        f = np.eye(3) + np.diag(strain)
        c = cell @ f          # rows are lattice vectors: a' = a F (F symmetric)
        p = pos @ f
        rng = np.random.default_rng(seed)
        d = rng.normal(size=p.shape)
        d /= np.linalg.norm(d, axis=1)[:, None]
        d *= rng.uniform(dmin, dmax, size=(len(p), 1))
        text.append(frame_text(c, types, p + d, name))
    out = open(sys.argv[2], "w") if len(sys.argv) > 2 else sys.stdout
    out.write("".join(text))


if __name__ == "__main__":
    main()
