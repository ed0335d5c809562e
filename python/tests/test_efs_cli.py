# SPDX-License-Identifier: BSD-3-Clause
"""MTPCalculator gives what `mtp calculate_efs` gives (1e-12 relative): the
configurations go to the command through openmtp.write_cfg (lossless) and
come back through openmtp.read_cfg (binary .cfg, lossless)."""
import os
import subprocess

import numpy as np
from ase.build import bulk

import openmtp
from testlib import POT_LI, POT_SIC, assert_close, li_bcc, run_tests, workdir


def structures_li():
    slab = li_bcc(rep=(2, 2, 2), seed=5)
    slab.center(vacuum=3.0, axis=2)
    slab.pbc = (True, True, False)
    cluster = li_bcc(rep=2, seed=6)[:9]
    cluster.pbc = False
    small = bulk("Li", "bcc", a=3.44)  # 1 atom, cell far smaller than the cutoff
    return [li_bcc(seed=2), li_bcc(rep=3, rattle=0.1, seed=4), slab, cluster, small]


def structures_sic():
    out = []
    for seed, strain in ((1, 1.0), (2, 0.98)):
        a = bulk("SiC", "zincblende", a=4.36 * strain, cubic=True).repeat((2, 2, 1))
        a.rattle(0.1, seed=seed)
        out.append(a)
    return out


def compare(pot, species, structures, name):
    d = workdir("efs_cli")
    src = os.path.join(d, name + ".cfg")
    out = os.path.join(d, name + ".efs.bin")
    openmtp.write_cfg(src, structures, species=species, no_loss=True)
    proc = subprocess.run([openmtp.mtp_executable(), "calculate_efs", pot, src,
                           "--output_filename=" + out, "--output_format=bin"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, proc.stderr
    ref = openmtp.read_cfg(out, species=species)
    assert len(ref) == len(structures)
    calc = openmtp.MTPCalculator(pot, species=species)
    for k, (atoms, r) in enumerate(zip(structures, ref)):
        assert_close(r.positions, atoms.positions, rel=0, what="positions through write_cfg")
        atoms.calc = calc
        e = atoms.get_potential_energy()
        assert_close(e, r.get_potential_energy(), rel=1e-12, what="%s %d energy" % (name, k))
        f = atoms.get_forces()
        scale = np.max(np.abs(f))
        assert_close(f, r.get_forces(), rel=1e-12, abs_=1e-12 * scale,
                     what="%s %d forces" % (name, k))
        if all(atoms.pbc):
            s = atoms.get_stress()
            assert_close(s, r.get_stress(), rel=1e-12, abs_=1e-12 * np.max(np.abs(s)),
                         what="%s %d stress" % (name, k))
        else:
            assert "stress" not in r.calc.results


def test_li_against_calculate_efs():
    compare(POT_LI, ["Li"], structures_li(), "li")


def test_sic_against_calculate_efs():
    compare(POT_SIC, ["Si", "C"], structures_sic(), "sic")


if __name__ == "__main__":
    run_tests(globals())
