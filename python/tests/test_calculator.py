# SPDX-License-Identifier: BSD-3-Clause
"""MTPCalculator: analytic forces and stress against central differences
through ASE, per-atom sums, periodicity handling, element mapping."""
import os

import numpy as np
from ase.build import bulk
from ase.calculators.test import numeric_force

import openmtp
from testlib import POT_LI, POT_SIC, assert_close, li_bcc, run_tests, workdir


def sic(rattle=0.08, seed=3):
    atoms = bulk("SiC", "zincblende", a=4.36, cubic=True).repeat((2, 1, 1))
    atoms.rattle(rattle, seed=seed)
    return atoms


def numeric_forces(atoms, d):
    return np.array([[numeric_force(atoms, a, i, d) for i in range(3)] for a in range(len(atoms))])


def check_forces_fd(atoms, calc, rel=2e-6, abs_=2e-7):
    atoms.calc = calc
    f = atoms.get_forces()
    fd = numeric_forces(atoms, 1e-4)
    assert np.max(np.abs(f)) > 0.05, "test structure has no forces worth testing"
    assert_close(f, fd, rel=rel, abs_=abs_, what="forces vs central differences")


def test_forces_fd_periodic():
    check_forces_fd(li_bcc(), openmtp.MTPCalculator(POT_LI, species=["Li"]))


def test_forces_fd_two_species():
    check_forces_fd(sic(), openmtp.MTPCalculator(POT_SIC, species=["Si", "C"]))


def test_forces_fd_slab_and_cluster():
    calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    slab = li_bcc(rep=(2, 2, 2))
    slab.center(vacuum=4.0, axis=2)
    slab.pbc = (True, True, False)
    check_forces_fd(slab, calc)
    cluster = li_bcc(rep=(2, 2, 2))[:10]
    cluster.pbc = False
    cluster.cell = [0, 0, 0]  # a cluster needs no cell at all
    check_forces_fd(cluster, calc)
    assert "stress" not in calc.results


def test_nonperiodic_direction_ignores_its_cell_vector():
    """pbc False along z: the z cell vector (any length, even shorter than the
    cutoff) must not create images."""
    calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    slab = li_bcc(rep=(2, 2, 1))
    slab.pbc = (True, True, False)
    e = []
    for cz in (3.0, 40.0):
        s = slab.copy()
        s.cell[2] = [0.0, 0.0, cz]
        s.calc = calc
        e.append(s.get_potential_energy())
    assert_close(e[0], e[1], rel=1e-14, what="energy with short and long non-periodic z vector")
    periodic = slab.copy()
    periodic.pbc = True
    periodic.calc = calc
    assert abs(periodic.get_potential_energy() - e[0]) > 1e-3, "pbc=False was not honoured"


def test_stress_fd():
    for atoms, calc in ((li_bcc(), openmtp.MTPCalculator(POT_LI, species=["Li"])),
                        (sic(), openmtp.MTPCalculator(POT_SIC, species=["Si", "C"]))):
        # a sheared, strained cell so that all six components are non-zero
        atoms.set_cell(atoms.cell @ np.array([[1.02, 0.01, 0.0], [0.0, 0.99, 0.015],
                                              [0.01, 0.0, 1.01]]), scale_atoms=True)
        atoms.calc = calc
        s = atoms.get_stress()
        fd = calc.calculate_numerical_stress(atoms, d=1e-5, voigt=True)
        assert np.all(np.abs(s) > 1e-5), "stress components too small to test: %s" % s
        assert_close(s, fd, rel=1e-5, abs_=1e-9, what="stress vs central differences")


def test_stress_sign_and_units():
    """Compressed Li pushes outwards: ASE stress (tensile positive) negative."""
    atoms = li_bcc(rattle=0.0, a=3.20)
    atoms.calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    s = atoms.get_stress()
    assert np.all(s[:3] < 0), "compressed cell should have negative ASE stress, got %s" % s
    # pressure from the energy-volume slope: P = -dE/dV
    e = []
    for f in (1 - 1e-5, 1 + 1e-5):
        b = atoms.copy()
        b.set_cell(atoms.cell * f, scale_atoms=True)
        b.calc = atoms.calc
        e.append((b.get_volume(), b.get_potential_energy()))
    p = -(e[1][1] - e[0][1]) / (e[1][0] - e[0][0])
    assert_close(-s[:3].mean(), p, rel=1e-6, what="pressure vs -dE/dV")


def test_per_atom_sums():
    for atoms, calc in ((li_bcc(), openmtp.MTPCalculator(POT_LI, species=["Li"])),
                        (sic(), openmtp.MTPCalculator(POT_SIC, species=["Si", "C"]))):
        atoms.calc = calc
        e = atoms.get_potential_energy()
        assert_close(atoms.get_potential_energies().sum(), e, rel=1e-13, what="sum of energies")
        stresses = atoms.get_stresses()
        assert stresses.shape == (len(atoms), 6)
        assert_close(stresses.sum(axis=0), atoms.get_stress(), rel=1e-10, abs_=1e-15,
                     what="sum of per-atom stresses")
        assert_close(calc.get_property("free_energy", atoms), e, rel=0, what="free energy")
        # per-atom energies depend on the atom: not all equal in a rattled cell
        assert np.ptp(atoms.get_potential_energies()) > 1e-4


def test_element_labels_from_potential():
    """A potential labelled with atomic numbers maps elements by itself and
    gives the same numbers as the relative-label file with species=."""
    pot = openmtp.Potential(POT_SIC)
    pot.set_labels([14, 6])
    path = os.path.join(workdir("calculator"), "SiC-Z.almtp")
    pot.write(path)
    atoms = sic()
    by_z = openmtp.MTPCalculator(path)
    assert by_z.species == ["Si", "C"]
    by_name = openmtp.MTPCalculator(POT_SIC, species=["Si", "C"])
    a, b = atoms.copy(), atoms.copy()
    a.calc, b.calc = by_z, by_name
    assert_close(a.get_potential_energy(), b.get_potential_energy(), rel=1e-15, what="energy")
    assert_close(a.get_forces(), b.get_forces(), rel=1e-15, what="forces")
    # species order matters: swapping the names changes the physics
    swapped = atoms.copy()
    swapped.calc = openmtp.MTPCalculator(POT_SIC, species=["C", "Si"])
    assert abs(swapped.get_potential_energy() - a.get_potential_energy()) > 1e-2


def test_results_are_refreshed_after_moving_atoms():
    atoms = li_bcc()
    atoms.calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    e0 = atoms.get_potential_energy()
    atoms.positions[0, 0] += 0.1
    assert atoms.get_potential_energy() != e0


if __name__ == "__main__":
    run_tests(globals())
