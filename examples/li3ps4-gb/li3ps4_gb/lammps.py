# SPDX-License-Identifier: BSD-3-Clause
"""Energies with OpenMTP's pair style in LAMMPS (build/bin/lmp_mtp): minimise a cell (atoms,
optionally the box length normal to the boundary, LAMMPS z) and return its potential energy.

Boundary energy: gamma = (E_bicrystal - N e_bulk) / (2 A), with e_bulk the energy per atom of
the oriented bulk supercell of grain 1 minimised the same way (same strain, same box degree of
freedom), so the strain of the rational approximation and the normal relaxation cancel."""
import os
import re
import shutil
import subprocess
import tempfile
import numpy as np

from .cellio import read_lammps_data, to_lammps_frame, write_lammps_data

EV_PER_A2_TO_J_PER_M2 = 16.021766
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LMP = os.path.normpath(os.path.join(HERE, "..", "..", "..", "build", "bin", "lmp_mtp"))


class LammpsError(RuntimeError):
    pass


def find_lmp(path=None):
    for p in (path, os.environ.get("LMP_MTP"), DEFAULT_LMP, shutil.which("lmp_mtp")):
        if p and os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise LammpsError("lmp_mtp not found (build it, or pass --lmp / set LMP_MTP)")


INPUT = """units metal
boundary p p p
atom_style atomic
box tilt large
read_data {data}
{pair}
thermo 50
thermo_style custom step pe press pzz lz v_wall
run 0
print "RESULT_E0 $(pe:%.8f) WALL0 $(v_wall:%.8f)"
min_style cg
{relax_box}minimize 0.0 {ftol} {maxiter} {maxeval}
{unfix}minimize 0.0 {ftol} {maxiter} {maxeval}
run 0
variable e equal pe
print "RESULT_ENERGY $(v_e:%.8f) LZ $(lz:%.8f) ATOMS $(atoms) WALL $(v_wall:%.8f)"
write_data {out}
"""


WALL = (1.0, 0.03, 1.55, 1.8)   # A (eV), rho (A), sigma (A), cutoff (A) of the guard wall


def pair_commands(pot, wall=WALL):
    """pair_style lines: the MTP alone (wall None), or overlaid with a steep repulsive wall
    E = A exp((sigma - r) / rho) (pair_style born, shifted to 0 at its cutoff) acting only on
    pairs closer than 1.8 A.  It is a guard for provisional potentials trained on bulk frames:
    their polynomial radial basis is unbounded below the training set's min_dist, and a
    minimisation of a boundary can pull two atoms together without limit (seen with
    round-000: P-S -> 0 A, E -> -8.6e11 eV; along one P-S compression in bulk the MTP rises
    by 3.3 eV up to 1.6 A, then falls by 66 eV at 1.4 A and 9000 eV at 1.2 A).  The shortest
    bond in the material is P-S 2.03 A, so the wall adds nothing to bulk; its energy in every
    relaxed cell is reported (wall_eV) and must be ~0 for a result to count."""
    pot = os.path.abspath(pot)
    if not wall:
        return "pair_style mtp %s\npair_coeff * *\nvariable wall equal 0.0" % pot
    A, rho, sigma, cut = wall
    return "\n".join([
        "pair_style hybrid/overlay mtp %s born %g" % (pot, cut),
        "pair_coeff * * mtp",
        "pair_coeff * * born %g %g %g 0 0" % (A, rho, sigma),
        "pair_modify pair born shift yes",
        "compute wall all pair born",
        "variable wall equal c_wall"])


def minimise(cell, pot, lmp=None, relax_normal=True, wall=WALL, ftol=1e-3, maxiter=400, maxeval=4000,
             workdir=None, keep=None):
    """Minimise 'cell' (cellio dict, any orientation; a, b must span the boundary plane).
    Returns (energy eV including the wall, relaxed cell dict in LAMMPS frame, lz, wall eV,
    MTP energy of the unrelaxed input eV)."""
    lmp = find_lmp(lmp)
    own = workdir is None
    wd = tempfile.mkdtemp(prefix="gb-lmp-") if own else workdir
    try:
        data = os.path.join(wd, "in.data")
        out = os.path.join(wd, "out.data")
        write_lammps_data(data, to_lammps_frame(cell))
        with open(os.path.join(wd, "in.min"), "w") as f:
            f.write(INPUT.format(
                data=data, pair=pair_commands(pot, wall), out=out, ftol=ftol, maxiter=maxiter,
                maxeval=maxeval,
                relax_box="fix relax all box/relax z 0.0 vmax 0.001\n" if relax_normal else "",
                unfix="unfix relax\n" if relax_normal else ""))
        env = dict(os.environ, OMP_NUM_THREADS="1")
        r = subprocess.run([lmp, "-in", "in.min", "-log", "log.lammps", "-screen", "none"],
                           cwd=wd, env=env, capture_output=True, text=True)
        log = open(os.path.join(wd, "log.lammps")).read() if os.path.exists(
            os.path.join(wd, "log.lammps")) else ""
        m = re.search(r"RESULT_ENERGY ([-+0-9.eE]+) LZ ([-+0-9.eE]+) ATOMS (\d+) WALL ([-+0-9.eE]+)", log)
        if r.returncode != 0 or not m:
            tail = "\n".join((log or r.stdout + r.stderr).splitlines()[-15:])
            raise LammpsError("lmp_mtp failed (exit %d) in %s:\n%s" % (r.returncode, wd, tail))
        e, lz, e_wall = float(m.group(1)), float(m.group(2)), float(m.group(4))
        m0 = re.search(r"RESULT_E0 ([-+0-9.eE]+) WALL0 ([-+0-9.eE]+)", log)
        e0 = float(m0.group(1)) - float(m0.group(2))
        if not np.isfinite(e):
            raise LammpsError("non-finite energy from lmp_mtp in %s" % wd)
        relaxed = read_lammps_data(out)
        if keep:
            shutil.copy(out, keep)
        return e, relaxed, lz, e_wall, e0
    finally:
        if own:
            shutil.rmtree(wd, ignore_errors=True)


def boundary_energy(e_gb, n_gb, e_bulk_per_atom, area):
    """(E_bicrystal - N e_bulk) / (2 A) in J/m^2."""
    return (e_gb - n_gb * e_bulk_per_atom) / (2.0 * area) * EV_PER_A2_TO_J_PER_M2


def max_grade(cfg_path, pot, mtp=None):
    """Largest extrapolation grade of a .cfg against the potential's active set (mtp
    calculate_grade), or None if the potential has no active set or mtp is missing."""
    mtp = mtp or os.path.join(os.path.dirname(find_lmp()), "mtp")
    if not os.access(mtp, os.X_OK):
        return None
    with tempfile.TemporaryDirectory(prefix="gb-grade-") as wd:
        r = subprocess.run([mtp, "calculate_grade", os.path.abspath(pot), os.path.abspath(cfg_path),
                            os.path.join(wd, "g.cfg")], capture_output=True, text=True)
        m = re.search(r"largest grade ([-+0-9.eE]+)", r.stdout + r.stderr)
        return float(m.group(1)) if r.returncode == 0 and m else None
