# SPDX-License-Identifier: BSD-3-Clause
"""Grain-boundary and amorphous/crystal interface builders for beta-Li3PS4 (issue 13, item 1).

Modules: cellio (MLIP .cfg / LAMMPS data read and write), crystal (the ordered Pnma model, its
PS4 units and the strain of the rational axial-ratio approximation), bicrystal (CSL bicrystal
from pymatgen's transformation matrices, overlap removal, charge neutrality), lammps (boundary
energies and the rigid-body translation search with pair_style mtp), amorphous (melt-quenched
slab on a crystalline slab), checks (the geometric checks the tests run)."""
SPECIES = ("Li", "P", "S")          # MLIP types 0, 1, 2 = LAMMPS types 1, 2, 3
MASSES = (6.94, 30.973762, 32.06)
