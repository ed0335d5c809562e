# SPDX-License-Identifier: BSD-3-Clause
"""Extrapolation grades from Python against MLIP-3's calculate_grade, the
calculator's grade results, the active set built from Python, and training
and selection through the mtp command."""
import os
import subprocess

import numpy as np

import openmtp
from testlib import POT_LI, Skip, assert_close, li_bcc, run_tests, shared, workdir


def test_nbh_grades_match_mlip3():
    d = ("mlip3", "examples", "calculate_grade")
    pot = shared(*d, "pot.almtp")
    frames = openmtp.read_cfg(shared(*d, "train.cfg"), species=["Li"])
    ref = openmtp.read_cfg(shared(*d, "graded.cfg"), species=["Li"])
    grader = openmtp.Grader(pot, species=["Li"])
    assert grader.mode == "nbh"
    calc = openmtp.MTPCalculator(pot, species=["Li"])
    for atoms, r in zip(frames, ref):
        g, per_atom = grader.grade(atoms)
        # MLIP prints per-atom grades with 5 decimals, MV_grade with 6
        assert_close(per_atom, r.arrays["nbh_grades"], abs_=6e-6, what="nbh_grades")
        assert_close(g, float(r.info["MV_grade"]), abs_=6e-7, what="MV_grade")
        atoms.calc = calc
        assert_close(calc.get_property("grades", atoms), per_atom, rel=0, what="calc grades")
        assert calc.get_property("max_grade", atoms) == g
    assert np.max(per_atom) > 1, "reference frames should extrapolate"


def test_cfg_mode_grades_match_mlip3():
    d = ("mlip3", "multispecies")
    species = ["Li", "Ti", "O"]
    frames = openmtp.read_cfg(shared(*d, "test3.cfg"), species=species)
    ref = openmtp.read_cfg(shared(*d, "test3.graded.cfg"), species=species)
    grades = openmtp.grade(shared(*d, "pot10.almtp"), frames, species=species)
    assert_close(grades, [float(r.info["MV_grade"]) for r in ref], rel=1e-9, abs_=6e-7,
                 what="MV_grade (cfg mode)")
    calc = openmtp.MTPCalculator(shared(*d, "pot10.almtp"), species=species)
    frames[0].calc = calc
    frames[0].get_potential_energy()
    assert calc.grade_mode == "cfg"
    assert_close(calc.results["max_grade"], grades[0], rel=0, what="calculator max_grade")
    assert "grades" not in calc.results, "configuration mode has no per-atom grades"


def test_active_set_from_python():
    """MaxVol over training frames: afterwards no training neighbourhood
    extrapolates (grade <= threshold), a distorted one does, and `mtp select`
    stores the same active set."""
    train = openmtp.read_cfg(shared("mlearn", "Li", "train.cfg"), species=["Li"])[:12]
    d = workdir("grade")
    py_pot = os.path.join(d, "li-py-nbh.almtp")
    pot, n_sel = openmtp.build_active_set(POT_LI, train, species=["Li"], mode="nbh",
                                          save_to=py_pot)
    assert pot.has_active_set and n_sel > 0
    grader = openmtp.Grader(pot)
    worst = max(grader.grade(a)[0] for a in train)
    print("  active set: %d of %d frames own rows; max training grade %.6f" % (n_sel, len(train),
                                                                              worst))
    assert worst <= 1.001 + 1e-9, worst
    squeezed = li_bcc(a=2.9, rattle=0.2, seed=3)
    assert grader.grade(squeezed)[0] > 2
    train_path = os.path.join(d, "train12.cfg")
    openmtp.write_cfg(train_path, train, species=["Li"], no_loss=True)
    cli_pot = os.path.join(d, "li-cli-nbh.almtp")
    openmtp.run_mtp("select", POT_LI, train_path, al_mode="nbh", save_to=cli_pot)
    cli = openmtp.Grader(cli_pot, species=["Li"])
    for atoms in train[:3] + [squeezed]:
        assert_close(cli.grade(atoms)[1], grader.grade(atoms)[1], rel=1e-12, what="grades")
    # fresh_inverse reaches the library (the field of the ctypes mirror) as
    # `mtp select --fresh_inverse`
    fresh, _ = openmtp.build_active_set(POT_LI, train, species=["Li"], mode="nbh",
                                        fresh_inverse=True)
    cli_fresh = os.path.join(d, "li-cli-fresh.almtp")
    openmtp.run_mtp("select", POT_LI, train_path, al_mode="nbh", fresh_inverse=True,
                    save_to=cli_fresh)
    fg, cg = openmtp.Grader(fresh), openmtp.Grader(cli_fresh, species=["Li"])
    assert max(fg.grade(a)[0] for a in train) <= 1.001 + 1e-9
    for atoms in train[:3] + [squeezed]:
        assert_close(cg.grade(atoms)[1], fg.grade(atoms)[1], rel=1e-12, what="fresh grades")


def test_train_through_mtp_command():
    train = openmtp.read_cfg(shared("mlearn", "Li", "train.cfg"), species=["Li"])[:8]
    d = workdir("grade")
    train_path = os.path.join(d, "train8.cfg")
    openmtp.write_cfg(train_path, train, species=["Li"])
    init = os.path.join(d, "init6.almtp")
    openmtp.Potential.generate(6, species=[0], cutoff=5.0).write(init)
    out = os.path.join(d, "trained6.almtp")
    log = openmtp.train(init, train_path, out, iteration_limit=30, al_mode="nbh", log="stdout")
    assert os.path.exists(out) and log
    calc = openmtp.MTPCalculator(out, species=["Li"])
    assert calc.grade_mode == "nbh"
    atoms = train[0].copy()
    ref_e = train[0].get_potential_energy()
    atoms.calc = calc
    e = atoms.get_potential_energy()
    print("  trained level 6 on 8 frames: E %.4f eV vs reference %.4f eV, max grade %.3f"
          % (e, ref_e, calc.results["max_grade"]))
    assert abs(e - ref_e) / len(atoms) < 0.05, "trained potential is far off (%g eV/atom)" % (
        abs(e - ref_e) / len(atoms))
    assert calc.results["max_grade"] <= 1.001 + 1e-9
    try:
        openmtp.train(init, os.path.join(d, "missing.cfg"), out)
    except openmtp.MTPError as e:
        assert "missing.cfg" in str(e), str(e)
    else:
        raise AssertionError("training on a missing file succeeded")


def test_select_add_through_mtp_command():
    exe = openmtp.mtp_executable()
    if subprocess.run([exe, "help", "select_add"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        raise Skip("this mtp has no select_add command (branch al-sel)")
    d = ("mlip3", "examples", "select_add")
    out = os.path.join(workdir("grade"), "selected.cfg")
    openmtp.select_add(shared(*d, "pot.almtp"), shared(*d, "train.cfg"),
                       shared(*d, "preselected.cfg"), out)
    got = openmtp.read_cfg(out, species=["Li"])
    ref = openmtp.read_cfg(shared(*d, "selected.cfg"), species=["Li"])
    assert len(got) == len(ref)
    for a, b in zip(got, ref):
        assert_close(a.positions, b.positions, abs_=1e-6, what="selected positions")


if __name__ == "__main__":
    run_tests(globals())
