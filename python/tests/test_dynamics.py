# SPDX-License-Identifier: BSD-3-Clause
"""ASE dynamics on MTPCalculator: a BFGS relaxation converges and an NVE
(velocity Verlet) run conserves the total energy."""
import numpy as np
from ase import units
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from ase.md.verlet import VelocityVerlet
from ase.optimize import BFGS

import openmtp
from testlib import POT_LI, li_bcc, run_tests


def test_bfgs_relaxation_converges():
    atoms = li_bcc(rep=2, rattle=0.15, seed=7)
    atoms.calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    e0 = atoms.get_potential_energy()
    opt = BFGS(atoms, logfile=None)
    converged = opt.run(fmax=1e-4, steps=300)
    fmax = np.sqrt((atoms.get_forces() ** 2).sum(axis=1)).max()
    e1 = atoms.get_potential_energy()
    print("  BFGS: %d steps, E %.6f -> %.6f eV, fmax %.2e eV/A" % (opt.nsteps, e0, e1, fmax))
    assert converged and fmax < 1e-4, "BFGS did not converge (fmax %g)" % fmax
    assert e1 < e0 - 1e-3
    # the rattled bcc cell relaxes back to a perfect lattice: all site energies equal
    site = atoms.get_potential_energies()
    assert np.ptp(site) < 1e-5, "relaxed site energies spread %g eV" % np.ptp(site)


def test_nve_conserves_energy():
    atoms = li_bcc(rep=3, rattle=0.02, seed=8)
    atoms.calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    MaxwellBoltzmannDistribution(atoms, temperature_K=600, rng=np.random.RandomState(9))
    Stationary(atoms)
    dyn = VelocityVerlet(atoms, timestep=1.0 * units.fs, logfile=None)
    etot = []
    temps = []

    def record():
        etot.append(atoms.get_potential_energy() + atoms.get_kinetic_energy())
        temps.append(atoms.get_temperature())
    dyn.attach(record, interval=10)
    dyn.run(1000)  # 1 ps
    etot = np.array(etot)
    n = len(atoms)
    drift = (etot - etot[0]) / n
    epot_swing = 1.5 * units.kB * np.mean(temps)  # kinetic energy per atom
    print("  NVE: %d atoms, 1000 x 1 fs, mean T %.0f K, max |E_tot - E_tot(0)| %.2e eV/atom, "
          "end drift %.2e eV/atom" % (n, np.mean(temps), np.abs(drift).max(), drift[-1]))
    assert np.mean(temps) > 100, "the run did not move"
    assert np.abs(drift).max() < 2e-4, "total energy not conserved: %g eV/atom" % np.abs(drift).max()
    # the energy does move between kinetic and potential: conservation is not trivial
    assert epot_swing > 100 * np.abs(drift).max()


if __name__ == "__main__":
    run_tests(globals())
