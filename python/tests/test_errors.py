# SPDX-License-Identifier: BSD-3-Clause
"""Every library error reaches Python as openmtp.MTPError with the library's
message; nothing crashes."""
import os
import subprocess
import sys

import numpy as np
from ase import Atoms

import openmtp
from testlib import POT_LI, POT_SIC, li_bcc, run_tests, shared, workdir


def raises(fn, *needles, status=None):
    try:
        fn()
    except openmtp.MTPError as e:
        for n in needles:
            assert n in str(e), "message %r lacks %r" % (str(e), n)
        if status:
            assert e.status_name == status, "%s instead of %s (%s)" % (e.status_name, status, e)
        return e
    raise AssertionError("no MTPError")


def test_missing_potential_file():
    raises(lambda: openmtp.MTPCalculator("/nonexistent/pot.almtp", species=["Li"]),
           "/nonexistent/pot.almtp", status="MTP_ERR_IO")


def test_malformed_potential_file():
    path = os.path.join(workdir("errors"), "broken.almtp")
    with open(POT_LI, "rb") as f:
        text = f.read()
    with open(path, "wb") as f:
        f.write(text[: len(text) // 3])  # truncated in the middle of the coefficients
    e = raises(lambda: openmtp.MTPCalculator(path, species=["Li"]), path + ":")
    assert e.status != 0


def test_unknown_element():
    calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    atoms = li_bcc()
    atoms[3].symbol = "Na"
    atoms.calc = calc
    raises(atoms.get_potential_energy, "Na", "not among the species", "Li = label 0",
           status="MTP_ERR_SPECIES")


def test_relative_labels_need_species():
    raises(lambda: openmtp.MTPCalculator(POT_SIC), "relative species labels", "species=")
    raises(lambda: openmtp.MTPCalculator(POT_SIC, species=["Si"]), "2 species")
    raises(lambda: openmtp.MTPCalculator(POT_SIC, species=["Si", "Qq"]), "'Qq'")
    raises(lambda: openmtp.MTPCalculator(POT_SIC, species=["Si", "Si"]), "twice")


def test_untrained_potential():
    path = os.path.join(workdir("errors"), "untrained.almtp")
    openmtp.Potential.generate(8, species=["Li"]).write(path)
    raises(lambda: openmtp.MTPCalculator(path), path, "no coefficients",
           status="MTP_ERR_UNTRAINED")
    raises(lambda: openmtp.Grader(path), path)


def test_no_active_set():
    raises(lambda: openmtp.Grader(POT_LI, species=["Li"]), POT_LI)
    calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    atoms = li_bcc()
    atoms.calc = calc
    atoms.get_potential_energy()
    assert "max_grade" not in calc.results and calc.grade_mode is None


def test_bad_geometry():
    calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    atoms = li_bcc()
    atoms.positions[2] = np.nan
    atoms.calc = calc
    raises(atoms.get_potential_energy, "NaN", status="MTP_ERR_GEOMETRY")
    flat = Atoms("Li2", positions=[[0, 0, 0], [1.5, 0, 0]], cell=[[3, 0, 0], [0, 3, 0], [0, 0, 0]],
                 pbc=True)
    flat.calc = calc
    raises(flat.get_potential_energy, "cell vector 2")
    close = li_bcc(rattle=0)
    close.positions[1] = close.positions[0] + [0.5, 0, 0]
    close.calc = openmtp.MTPCalculator(POT_LI, species=["Li"], min_dist="refuse")
    raises(close.get_potential_energy, status="MTP_ERR_GEOMETRY")


def test_library_not_found():
    """A wrong OPENMTP_LIBRARY is an error with the path tried, not a crash or
    a silent fallback."""
    env = dict(os.environ, OPENMTP_LIBRARY="/nonexistent/libopenmtp.so")
    code = ("import openmtp\n"
            "try:\n    openmtp.Potential(%r)\n"
            "except openmtp.MTPError as e:\n    print('MTPError:', e)\n" % POT_LI)
    proc = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "MTPError: cannot load libopenmtp" in proc.stdout, proc.stdout
    assert "/nonexistent/libopenmtp.so (OPENMTP_LIBRARY): no such file" in proc.stdout


def test_library_from_environment():
    lib = openmtp.library_path()
    env = dict(os.environ, OPENMTP_LIBRARY=lib)
    proc = subprocess.run([sys.executable, "-c", "import openmtp; print(openmtp.library_path())"],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.strip() == lib, proc.stdout + proc.stderr


if __name__ == "__main__":
    run_tests(globals())
