# SPDX-License-Identifier: BSD-3-Clause
"""Training in-process through libopenmtp_train (openmtp.train_potential):
the same potential file as `mtp train` for the same options, progress
through a callable, a clean stop that resumes to the uninterrupted result,
and library errors as MTPError."""
import os

import openmtp
from testlib import Skip, run_tests, shared, workdir


def _data():
    d = workdir("train_api")
    train = openmtp.read_cfg(shared("mlearn", "Li", "train.cfg"), species=["Li"])[:8]
    train_path = os.path.join(d, "train8.cfg")
    openmtp.write_cfg(train_path, train, species=["Li"])
    init = os.path.join(d, "init6.almtp")
    openmtp.Potential.generate(6, species=[0], cutoff=5.0).write(init)
    return d, train, train_path, init


def _bytes(path):
    with open(path, "rb") as f:
        return f.read()


def test_same_file_as_mtp_train():
    d, train, train_path, init = _data()
    cli = os.path.join(d, "cli.almtp")
    api = os.path.join(d, "api.almtp")
    openmtp.train(init, train_path, cli, iteration_limit=8, al_mode="nbh", seed=2, init_random=True,
                  log="none")
    steps = []
    res = openmtp.train_potential(init, train_path, api, iteration_limit=8, al_mode="nbh", seed=2,
                                  init_random=True, progress=steps.append)
    assert _bytes(cli) == _bytes(api), "mtp train and train_potential wrote different files"
    assert res.iterations == 8 and not res.stopped and res.loss > 0 and res.active_set_size > 0, res
    assert [s.iteration for s in steps] == list(range(1, 9)), [s.iteration for s in steps]
    assert all(s.loss > 0 and s.elapsed >= 0 and s.line.startswith("VarPro iter") for s in steps)
    assert "# rescale: scaling" in res.log, res.log
    print("  %d steps, final loss %.8g, rmse F %.4f eV/A; last line: %s"
          % (res.iterations, res.loss, res.rmse_force, steps[-1].line.strip()))
    # a list of ase.Atoms works as well as a file
    res2 = openmtp.train_potential(init, train, os.path.join(d, "atoms.almtp"), iteration_limit=8,
                                   al_mode="nbh", seed=2, init_random=True, species=["Li"])
    assert _bytes(os.path.join(d, "atoms.almtp")) == _bytes(api)
    assert res2.loss == res.loss


def test_stop_and_resume():
    d, train, train_path, init = _data()
    full = os.path.join(d, "full.almtp")
    part = os.path.join(d, "part.almtp")
    resumed = os.path.join(d, "resumed.almtp")
    ckpt = os.path.join(d, "stop.checkpoint")
    if os.path.exists(ckpt):
        os.remove(ckpt)
    r_full = openmtp.train_potential(init, train_path, full, iteration_limit=8)
    r_part = openmtp.train_potential(init, train_path, part, iteration_limit=8, checkpoint=ckpt,
                                     checkpoint_interval=1e9, progress=lambda s: s.iteration == 3)
    assert r_part.stopped and r_part.iterations == 3, r_part
    assert os.path.exists(ckpt), "no checkpoint left by the stop"
    r_res = openmtp.train_potential(init, train_path, resumed, iteration_limit=8, checkpoint=ckpt,
                                    checkpoint_interval=1e9, resume=True)
    assert not r_res.stopped and r_res.iterations == r_full.iterations
    assert _bytes(resumed) == _bytes(full), "resumed run differs from the uninterrupted one"
    print("  stopped at 3, resumed to %d steps: loss %.17g == %.17g" % (r_res.iterations, r_res.loss,
                                                                         r_full.loss))


def test_callback_exception_and_errors():
    d, train, train_path, init = _data()

    class Boom(Exception):
        pass

    def boom(step):
        raise Boom("from the callback")

    try:
        openmtp.train_potential(init, train_path, os.path.join(d, "x.almtp"), iteration_limit=4, progress=boom)
    except Boom:
        pass
    else:
        raise AssertionError("the callback's exception was lost")
    for kwargs, needle in (({"energy_weight": -1}, "energy_weight"),
                           ({"iteration_limit": -3}, "iteration_limit")):
        try:
            openmtp.train_potential(init, train_path, os.path.join(d, "x.almtp"), **kwargs)
        except openmtp.MTPError as e:
            assert needle in str(e), str(e)
        else:
            raise AssertionError("%s accepted" % kwargs)
    try:
        openmtp.train_potential(init, os.path.join(d, "missing.cfg"), os.path.join(d, "x.almtp"))
    except openmtp.MTPError as e:
        assert "missing.cfg" in str(e), str(e)
    else:
        raise AssertionError("a missing training file was accepted")
    try:
        openmtp.train_potential(init, train_path, os.path.join(d, "x.almtp"), no_such_option=1)
    except TypeError as e:
        assert "no_such_option" in str(e)
    else:
        raise AssertionError("an unknown option was accepted")


def test_select_configurations_equals_mtp_select_add():
    d = workdir("train_api")
    ex = ("mlip3", "examples", "select_add")
    pot, train, pre = shared(*ex, "pot.almtp"), shared(*ex, "train.cfg"), shared(*ex, "preselected.cfg")
    for form, cands, kw in (("mlip3", [pre], {}), ("batch", [pre, train], {"max": 3, "threads": 2})):
        cli = os.path.join(d, "sel_cli_%s.cfg" % form)
        api = os.path.join(d, "sel_api_%s.cfg" % form)
        openmtp.select_add(pot, train, cands, cli, **kw)
        lines = []
        chosen = openmtp.select_configurations(pot, train, cands, api, log=lines.append, **kw)
        assert _bytes(cli) == _bytes(api), "%s form: mtp select_add and select_configurations differ" % form
        assert len(chosen) == _bytes(api).count(b"BEGIN_CFG") and chosen, chosen
        assert any(l.startswith("selection from ") for l in lines), lines
        if form == "batch":
            assert all(c.grade is not None and c.grade > 1.001 for c in chosen), chosen
        print("  %s form: %d chosen: %s" % (form, len(chosen), ", ".join("%s:%d" % (os.path.basename(c.file),
                                                                               c.index) for c in chosen)))
    try:
        openmtp.select_configurations(pot, train, [pre, train], os.path.join(d, "x.cfg"))
    except openmtp.MTPError as e:
        assert "batch form" in str(e), str(e)
    else:
        raise AssertionError("several candidate files without max accepted")


if __name__ == "__main__":
    run_tests(globals())
