# SPDX-License-Identifier: BSD-3-Clause
"""openmtp.read_cfg / write_cfg: .cfg <-> ase.Atoms through the library's
reader and writer (energies, forces, stress, site energies, features,
per-atom columns), MLIP's files, malformed input."""
import os

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator

import openmtp
from testlib import POT_LI, assert_close, li_bcc, run_tests, shared, workdir


def labelled(atoms, calc):
    """A copy carrying calc's results as reference data, as a labeller would."""
    atoms = atoms.copy()
    atoms.calc = calc
    res = {k: atoms.calc.get_property(k, atoms) for k in ("energy", "forces", "stress",
                                                           "energies")}
    atoms.calc = SinglePointCalculator(atoms, **res)
    return atoms


def test_round_trip_lossless():
    calc = openmtp.MTPCalculator(POT_LI, species=["Li"])
    a = labelled(li_bcc(seed=11), calc)
    a.info["mlearn_group"] = "AIMD-NVT"
    a.info["note"] = "two\nlines"
    a.info["temperature"] = 300.5
    b = li_bcc(rep=(2, 1, 1), seed=12)
    b.pbc = (True, False, True)
    b.calc = SinglePointCalculator(b, energy=-3.25, forces=np.full((len(b), 3), 0.125))
    path = os.path.join(workdir("cfg_io"), "round.cfg")
    openmtp.write_cfg(path, [a, b], species=["Li"], no_loss=True)
    back = openmtp.read_cfg(path, species=["Li"])
    assert len(back) == 2
    ra, rb = back
    assert_close(ra.positions, a.positions, rel=0, what="positions")
    assert_close(ra.cell, a.cell, rel=0, what="cell")
    assert list(ra.pbc) == [True] * 3 and list(rb.pbc) == [True, False, True]
    assert rb.cell[1].tolist() == [0, 0, 0], "non-periodic direction must be a zero row"
    for key in ("energy", "forces", "stress", "energies"):
        assert_close(ra.calc.get_property(key, ra), a.calc.get_property(key, a), rel=1e-15,
                     what=key)
    assert ra.get_potential_energy() == ra.calc.get_property("free_energy", ra)
    assert ra.info["mlearn_group"] == "AIMD-NVT"
    assert ra.info["note"] == "two\nlines"
    assert float(ra.info["temperature"]) == 300.5
    assert ra.arrays["mtp_types"].tolist() == [0] * len(a)
    assert rb.get_potential_energy() == -3.25 and np.all(rb.get_forces() == 0.125)
    assert "stress" not in rb.calc.results


def test_types_species_and_atomic_numbers():
    from ase.build import bulk
    sic = bulk("SiC", "zincblende", a=4.36)
    d = workdir("cfg_io")
    rel = os.path.join(d, "sic-rel.cfg")
    absolute = os.path.join(d, "sic-abs.cfg")
    openmtp.write_cfg(rel, sic, species=["Si", "C"])
    openmtp.write_cfg(absolute, sic)
    assert openmtp.read_cfg(rel, species=["Si", "C"])[0].arrays["mtp_types"].tolist() == [0, 1]
    got = openmtp.read_cfg(absolute)[0]
    assert got.arrays["mtp_types"].tolist() == [14, 6]
    assert got.get_chemical_symbols() == ["Si", "C"]
    # relative types without species: refused with an explanation, never guessed
    try:
        openmtp.read_cfg(rel)
    except openmtp.MTPError as e:
        assert "species=" in str(e) and "type 0" in str(e), str(e)
    else:
        raise AssertionError("relative types read without species")
    try:
        openmtp.write_cfg(os.path.join(d, "x.cfg"), sic, species=["Si"])
    except openmtp.MTPError as e:
        assert "C" in str(e) and "not in species" in str(e), str(e)
    else:
        raise AssertionError("element outside species written")
    assert not os.path.exists(os.path.join(d, "x.cfg")), "failed write left a file"


def test_mlearn_file_units():
    path = shared("mlearn", "Li", "test.cfg")
    frames = openmtp.read_cfg(path, species=["Li"])
    assert len(frames) == 29
    a = frames[0]
    assert a.info["mlearn_group"] == "Vacancy" and len(a) == 53
    # the file's first frame: Energy -98.3706469300, PlusStress xx = 2.6599154321 eV
    assert a.get_potential_energy() == -98.37064693
    assert_close(-a.get_stress()[0] * a.get_volume(), 2.6599154321, rel=1e-14, what="W_xx")
    assert_close(-a.get_stress()[3] * a.get_volume(), -0.1263657715, rel=1e-14, what="W_yz")
    assert_close(a.get_forces()[0], [0.21718103, 0.16389488, 0.0995387], rel=1e-15, what="F_1")


def test_mlip3_graded_file():
    path = shared("mlip3", "examples", "calculate_grade", "graded.cfg")
    frames = openmtp.read_cfg(path, species=["Li"])
    a = frames[0]
    assert "MV_grade" in a.info
    g = a.arrays["nbh_grades"]
    assert g.shape == (len(a),) and abs(g[0] - 2.13030) < 1e-12
    assert abs(float(a.info["MV_grade"]) - g.max()) < 1e-5


def test_malformed_file_message():
    path = shared("mlip3", "configurations", "errorneous", "1.cfg")
    try:
        openmtp.read_cfg(path)
    except openmtp.MTPError as e:
        assert str(e).startswith(path + ":137: "), str(e)
        assert e.status_name == "MTP_ERR_PARSE", e.status_name
    else:
        raise AssertionError("malformed file accepted")


def test_io_errors():
    try:
        openmtp.read_cfg("/nonexistent/dir/train.cfg")
    except openmtp.MTPError as e:
        assert "/nonexistent/dir/train.cfg" in str(e) and e.status_name == "MTP_ERR_IO", str(e)
    else:
        raise AssertionError("missing file read")
    try:
        openmtp.write_cfg("/nonexistent/dir/out.cfg", li_bcc())
    except openmtp.MTPError as e:
        assert "/nonexistent/dir/out.cfg" in str(e), str(e)
    else:
        raise AssertionError("write into a missing directory succeeded")
    try:
        openmtp.read_cfg(POT_LI, format="nonsense")
    except openmtp.MTPError as e:
        assert "nonsense" in str(e)
    else:
        raise AssertionError("unknown format accepted")


if __name__ == "__main__":
    run_tests(globals())
