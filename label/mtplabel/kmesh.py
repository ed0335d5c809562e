# SPDX-License-Identifier: BSD-3-Clause
"""Monkhorst-Pack meshes from a k-point spacing (--kspacing).

One template then serves cells of every size: a 32-atom cell and its 2x2x2
supercell get meshes of the same density instead of the template's fixed
mesh (too dense and expensive for the supercell, or too coarse for a cut-out
cell).  The rule is VASP's KSPACING rule, so a spacing means the same thing
in both codes: n_i = max(1, ceil(|b_i| / kspacing)) with |b_i| = 2 pi / h_i,
h_i the distance between the lattice planes spanned by the other two cell
vectors (Angstrom), kspacing in 1/Angstrom, 2 pi included.  As in VASP the
mesh follows the cell vectors as given: a needlessly sheared representation
of a lattice gets a denser mesh along the sheared direction (correct, only
more expensive), so label reduced cells."""

import math


def parse_kspacing(text):
    """The --kspacing value as a float; ValueError with the reason otherwise."""
    try:
        k = float(text)
    except ValueError:
        raise ValueError("--kspacing=%s: expected a positive number (1/Angstrom, 2 pi included)" % text)
    if not (k > 0 and math.isfinite(k)):
        raise ValueError("--kspacing=%s: expected a positive finite number (1/Angstrom)" % text)
    return k


def _cross(u, v):
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def monkhorst_pack_mesh(lattice, kspacing):
    """(n1, n2, n3) for the cell whose rows are the lattice vectors (Angstrom)."""
    a = [tuple(float(x) for x in row) for row in lattice]
    volume = abs(sum(x * y for x, y in zip(a[0], _cross(a[1], a[2]))))
    if not volume > 0:
        raise ValueError("degenerate cell (volume %g A^3): no k-point mesh" % volume)
    mesh = []
    for i in range(3):
        c = _cross(a[(i + 1) % 3], a[(i + 2) % 3])
        height = volume / math.sqrt(sum(x * x for x in c))
        mesh.append(max(1, math.ceil(2 * math.pi / height / kspacing)))
    return tuple(mesh)
