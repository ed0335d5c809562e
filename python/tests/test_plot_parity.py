# SPDX-License-Identifier: BSD-3-Clause
"""`mtp check_errors --parity_to=FILE.png` / `python3 -m openmtp.plot parity`:
the picture is written, its data file holds exactly the values check_errors
compares (reference values of the data set, predictions of calculate_efs,
what the fit leaves out left out), the MAE/RMSE recomputed from that file
are the report's digits and are what the picture shows, and a plot that
cannot be made (matplotlib missing, no Python, unwritable PNG, malformed
data) is an error with a message, never skipped silently."""
import contextlib
import csv
import io
import math
import os
import subprocess
import sys

import numpy as np

import openmtp
from openmtp import _plotting
from plotlib import check_png, labelled, li_frames, mtp, need_matplotlib
from testlib import POT_LI, assert_close, run_tests, workdir

GPA = 160.2176487  # check_errors' eV/A^3 -> GPa


_DATA = []


def _data_set(_d=None):
    """10 frames; frame 4 with EnergyWeight 0, frame 7 with StressWeight 0
    (check_errors leaves those out, as the fit does).  Made once per run."""
    def info(k):
        return {3: {"EnergyWeight": 0}, 6: {"StressWeight": 0}}.get(k, {})
    if not _DATA:
        _DATA.append(labelled(os.path.join(workdir("plot-parity"), "ref.cfg"),
                              li_frames(10, 11, 0.04, info)))
    return _DATA[0]


def report_lines(stdout):
    """The first "MAE / RMSE (component-wise)" block of check_errors' output."""
    lines = stdout.splitlines()
    i = lines.index("MAE / RMSE (component-wise):")
    out = []
    for line in lines[i + 1:]:
        if not line.startswith("\t"):
            break
        out.append(line.strip())
    return out


def recomputed_lines(tsv):
    """The same lines, recomputed here from the data file (own parser)."""
    with open(tsv, newline="") as f:
        rows = list(csv.DictReader((line for line in f if not line.startswith("#")),
                                   delimiter="\t"))
    out = []
    for q, factor, fmt in (
            ("energy_per_atom", 1e3, "Energy per atom   MAE %10.4f  RMSE %10.4f  meV/atom  (%d configurations)"),
            ("force", 1.0, "Forces            MAE %10.4f  RMSE %10.4f  eV/A      (%d components)"),
            ("stress", 1.0, "Stress            MAE %10.4f  RMSE %10.4f  GPa       (%d components)")):
        diffs = [float(r["difference"]) for r in rows if r["quantity"] == q]
        if diffs:
            s = s2 = 0.0
            for x in diffs:
                s += abs(x)
                s2 += x * x
            out.append(fmt % (factor * s / len(diffs), factor * math.sqrt(s2 / len(diffs)), len(diffs)))
    return rows, out


def test_parity_plot_shows_check_errors_numbers():
    need_matplotlib()
    d = workdir("plot-parity")
    ref = _data_set(d)
    png, tsv = os.path.join(d, "parity.png"), os.path.join(d, "parity.tsv")
    for f in (png, tsv):
        if os.path.exists(f):
            os.remove(f)
    r = mtp("check_errors", POT_LI, ref, "--parity_to=%s" % png)
    w, h = check_png(png, 900, 600)
    printed = report_lines(r.stdout)
    assert len(printed) == 3, printed
    rows, recomputed = recomputed_lines(tsv)
    assert recomputed == printed, "from %s:\n%s\ncheck_errors printed:\n%s" % (
        tsv, "\n".join(recomputed), "\n".join(printed))
    shown = _plotting.png_text(png)["Description"].splitlines()
    assert shown == printed, "the picture shows\n%s\ncheck_errors printed\n%s" % (
        "\n".join(shown), "\n".join(printed))
    assert "Left out (weight 0, not fitted)" in r.stdout
    # the values themselves: references from the data set, predictions of calculate_efs
    frames = openmtp.read_cfg(ref, species=["Li"])
    pred_file = os.path.join(d, "pred.cfg")
    mtp("calculate_efs", POT_LI, ref, "--output_filename=%s" % pred_file)
    preds = openmtp.read_cfg(pred_file, species=["Li"])
    by = {q: [x for x in rows if x["quantity"] == q] for q in ("energy_per_atom", "force", "stress")}
    n = len(frames)
    assert [int(x["cfg"]) for x in by["energy_per_atom"]] == [k + 1 for k in range(n) if k != 3]
    assert len(by["force"]) == 3 * sum(len(a) for a in frames)
    assert sorted({int(x["cfg"]) for x in by["stress"]}) == [k + 1 for k in range(n) if k != 6]
    col = lambda rs, key: np.array([float(x[key]) for x in rs])  # noqa: E731
    e_ref = [a.get_potential_energy() / len(a) for k, a in enumerate(frames) if k != 3]
    e_pred = [a.get_potential_energy() / len(a) for k, a in enumerate(preds) if k != 3]
    assert_close(col(by["energy_per_atom"], "reference"), e_ref, rel=1e-15, what="energy ref")
    assert_close(col(by["energy_per_atom"], "predicted"), e_pred, rel=1e-9, what="energy pred")
    f_ref = np.concatenate([a.get_forces().ravel() for a in frames])
    f_pred = np.concatenate([a.get_forces().ravel() for a in preds])
    assert_close(col(by["force"], "reference"), f_ref, abs_=1e-15, what="force ref")
    assert_close(col(by["force"], "predicted"), f_pred, abs_=2e-6, what="force pred")
    s_ref = np.concatenate([-a.get_stress() * GPA for k, a in enumerate(frames) if k != 6])
    s_pred = np.concatenate([-a.get_stress() * GPA for k, a in enumerate(preds) if k != 6])
    assert_close(col(by["stress"], "reference"), s_ref, rel=1e-12, abs_=1e-12, what="stress ref")
    assert_close(col(by["stress"], "predicted"), s_pred, rel=1e-5, abs_=1e-5, what="stress pred")
    for q, rs in by.items():
        assert_close(col(rs, "difference"), col(rs, "predicted") - col(rs, "reference"),
                     abs_=1e-12, what="%s difference" % q)
    print("  %s: %dx%d; %s" % (png, w, h, "; ".join(" ".join(x.split()) for x in printed)))


def test_figure_holds_the_data_file():
    """What is drawn: each parity panel's points are the file's (reference,
    predicted) pairs, each histogram counts every difference once."""
    need_matplotlib()
    from openmtp.plot_parity import parity_figure, read_parity
    d = workdir("plot-parity")
    tsv = os.path.join(d, "parity.tsv")
    if not os.path.exists(tsv):
        mtp("check_errors", POT_LI, _data_set(d), "--parity_data=%s" % tsv)
    data = read_parity(tsv)
    fig, panels = parity_figure(data)
    assert set(panels) == {"energy_per_atom", "force", "stress"}
    for q, (ax, hx) in panels.items():
        pts = np.concatenate([c.get_offsets() for c in ax.collections])
        want = np.column_stack([data[q]["reference"], data[q]["predicted"]])
        assert_close(sorted(map(tuple, pts)), sorted(map(tuple, want)), rel=0, what=q + " points")
        heights = [p.get_height() for p in hx.patches]
        assert sum(heights) == len(data[q]["difference"]), (q, sum(heights))
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_parity_data_without_plot():
    """--parity_data alone needs no Python: the same rows as with --parity_to."""
    d = workdir("plot-parity")
    ref = _data_set(d)
    tsv = os.path.join(d, "only-data.tsv")
    r = mtp("check_errors", POT_LI, ref, "--parity_data=%s" % tsv,
            env={"OPENMTP_PYTHON": "/nonexistent/python3"})
    _rows, recomputed = recomputed_lines(tsv)
    assert recomputed == report_lines(r.stdout)


def test_missing_matplotlib_is_an_error():
    d = workdir("plot-parity-fail")
    ref = _data_set(d)
    fake = os.path.join(d, "no-matplotlib")
    os.makedirs(os.path.join(fake, "matplotlib"), exist_ok=True)
    with open(os.path.join(fake, "matplotlib", "__init__.py"), "w") as f:
        f.write("raise ImportError('matplotlib hidden by the test')\n")
    png = os.path.join(d, "parity.png")
    r = mtp("check_errors", POT_LI, ref, "--parity_to=%s" % png, check=False,
            env={"PYTHONPATH": fake})
    assert r.returncode != 0, "exit 0 without matplotlib:\n" + r.stdout + r.stderr
    assert "matplotlib hidden by the test" in r.stderr and "python3-matplotlib" in r.stderr, r.stderr
    assert "plotting failed" in r.stderr, r.stderr
    assert not os.path.exists(png) and not os.path.exists(os.path.join(d, "parity.tsv"))
    assert "Errors report" not in r.stdout, "evaluated although the plot could not be made"
    # the Python command says the same, with its own exit status
    r = subprocess.run([sys.executable, "-m", "openmtp.plot", "check"], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=fake + os.pathsep + os.environ["PYTHONPATH"]))
    assert r.returncode == 3 and "matplotlib" in r.stderr, (r.returncode, r.stderr)


def test_no_python_is_an_error():
    d = workdir("plot-parity-fail")
    ref = _data_set(d)
    r = mtp("check_errors", POT_LI, ref, "--parity_to=%s" % os.path.join(d, "p.png"), check=False,
            env={"OPENMTP_PYTHON": "/nonexistent/python3"})
    assert r.returncode != 0 and "cannot run /nonexistent/python3" in r.stderr, r.stderr


def test_unwritable_picture_is_an_error():
    need_matplotlib()
    d = workdir("plot-parity-fail")
    ref = _data_set(d)
    png = os.path.join(d, "no-such-dir", "p.png")
    r = mtp("check_errors", POT_LI, ref, "--parity_to=%s" % png,
            "--parity_data=%s" % os.path.join(d, "p.tsv"), check=False)
    assert r.returncode != 0 and "cannot write the picture" in r.stderr, r.stderr


def test_malformed_data_file():
    need_matplotlib()
    d = workdir("plot-parity-fail")
    header = "quantity\tcfg\tatom\ttype\tcomponent\treference\tpredicted\tdifference\n"
    cases = {"bad-number.tsv": (header + "force\t1\t1\t0\tx\t0.1\tzero\t0.1\n", ":2: expected"),
             "bad-quantity.tsv": ("# c\n" + header + "virial\t1\t-\t-\txx\t1\t1\t0\n", ":3: unknown quantity"),
             "no-header.tsv": ("force\t1\t1\t0\tx\t0.1\t0.2\t0.1\n", ":1: expected the header"),
             "empty.tsv": (header, ": no compared values")}
    from openmtp import plot
    for k, (name, (text, message)) in enumerate(cases.items()):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(text)
        out = os.path.join(d, name + ".png")
        if k == 0:  # the command, with its exit status
            r = subprocess.run([sys.executable, "-m", "openmtp.plot", "parity", p, out],
                               capture_output=True, text=True)
            status, err = r.returncode, r.stderr
        else:  # the same entry point in this process (faster)
            buf = io.StringIO()
            with contextlib.redirect_stderr(buf):
                status = plot.main(["parity", p, out])
            err = buf.getvalue()
        assert status == 1 and p + message in err, (name, status, err)
        assert not os.path.exists(out)


if __name__ == "__main__":
    run_tests(globals())
