#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""snap_geo.py POSFILE START.xyz OUT.xyz: last frame of a CP2K GEO_OPT trajectory with the cell of START."""
import sys
from ase.io import read, write
fr = read(sys.argv[1], index=":")
a = read(sys.argv[2]); a.positions = fr[-1].positions
write(sys.argv[3], a, format="extxyz")
print(len(fr), "frames; last comment:", open(sys.argv[1]).read().splitlines()[-len(a) - 1])
