#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a pool of rattled, strained supercells of a .cfg configuration
(the first one of IN) for selection tests and benchmarks:
    make_pool.py IN OUT FRAMES NX NY NZ RATTLE [SEED]
Frame k is the NX x NY x NZ supercell, every atom displaced uniformly in
[-RATTLE, RATTLE] A per component, the cell strained by up to 2 %."""
import random
import sys


def read_first(path):
    lines = open(path).read().splitlines()
    i = 0
    cell, atoms = [], []
    while i < len(lines):
        s = lines[i].strip()
        if s == "Size":
            i += 1
        elif s == "Supercell":
            cell = [[float(x) for x in lines[i + k].split()] for k in (1, 2, 3)]
            i += 3
        elif s.startswith("AtomData"):
            cols = s.split()[1:]
            ix, it = cols.index("cartes_x"), cols.index("type")
            i += 1
            while i < len(lines) and lines[i].split() and lines[i].split()[0].isdigit():
                f = lines[i].split()
                atoms.append((int(f[it]), [float(f[ix]), float(f[ix + 1]), float(f[ix + 2])]))
                i += 1
            continue
        elif s == "END_CFG":
            break
        i += 1
    return cell, atoms


def main():
    src, out, frames, nx, ny, nz, rattle = sys.argv[1:8]
    seed = int(sys.argv[8]) if len(sys.argv) > 8 else 1
    frames, nx, ny, nz, rattle = int(frames), int(nx), int(ny), int(nz), float(rattle)
    cell, atoms = read_first(src)
    rng = random.Random(seed)
    with open(out, "w") as fp:
        for k in range(frames):
            strain = [1 + 0.02 * rng.uniform(-1, 1) for _ in range(3)]
            big = [[cell[a][b] * n * strain[b] for b in range(3)] for a, n in enumerate((nx, ny, nz))]
            pos = []
            for i in range(nx):
                for j in range(ny):
                    for l in range(nz):
                        for t, x in atoms:
                            p = [(x[b] + i * cell[0][b] + j * cell[1][b] + l * cell[2][b]) * strain[b]
                                 + rng.uniform(-rattle, rattle) for b in range(3)]
                            pos.append((t, p))
            fp.write("BEGIN_CFG\n Size\n    %d\n Supercell\n" % len(pos))
            for r in big:
                fp.write("    %14.6f %14.6f %14.6f\n" % tuple(r))
            fp.write(" AtomData:  id type       cartes_x      cartes_y      cartes_z\n")
            for n, (t, p) in enumerate(pos):
                fp.write("    %10d %4d  %13.6f %13.6f %13.6f\n" % (n + 1, t, p[0], p[1], p[2]))
            fp.write(" Feature   frame\t%d\nEND_CFG\n\n" % k)


main()
