# SPDX-License-Identifier: BSD-3-Clause
"""Support modules of mtp-label (OpenMTP's labeller): .cfg frames, job
directories, and one adapter module per code (cp2k, vasp, qe, lammps)."""
