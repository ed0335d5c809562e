# SPDX-License-Identifier: BSD-3-Clause
"""`python3 -m openmtp.plot grades GRADED.cfg OUT.png`: histograms of the
extrapolation grades `mtp calculate_grade` writes, per configuration
(MV_grade) and per atom (nbh_grades), with the thresholds marked.  The
picture is written; the histograms drawn count exactly the grades of the file
(parsed here independently); the largest grade is the one calculate_grade
reports; the counts above the thresholds the picture states are right;
configurations without grades are an error."""
import contextlib
import io
import os
import re
import subprocess
import sys

import numpy as np

from openmtp import _plotting
from plotlib import check_png, li_frames, mtp, need_matplotlib
from testlib import POT_LI, run_tests, workdir
import openmtp

_GRADED = {}


def graded(mode):
    """calculate_grade output for 16 frames (10 near the training set, 6
    rattled hard) against an active set of mode nbh|cfg; (file, stderr)."""
    if mode in _GRADED:
        return _GRADED[mode]
    d = workdir("plot-grades")
    train, explore = os.path.join(d, "train.cfg"), os.path.join(d, "explore.cfg")
    if not os.path.exists(explore):
        openmtp.write_cfg(train, li_frames(12, 100, 0.03), species=["Li"])
        openmtp.write_cfg(explore, li_frames(10, 300, 0.02) + li_frames(6, 400, 0.09), species=["Li"])
    pot = os.path.join(d, "li-%s.almtp" % mode)
    mtp("select", POT_LI, train, "--al_mode=%s" % mode, "--save_to=%s" % pot)
    out = os.path.join(d, "graded-%s.cfg" % mode)
    r = mtp("calculate_grade", pot, explore, out)
    _GRADED[mode] = (out, r.stderr)
    return _GRADED[mode]


def parse_graded(path):
    """Independent reading of a text .cfg: MV_grade per configuration and the
    nbh_grades column per atom."""
    cfg_grades, atom_grades = [], []
    lines = open(path).read().splitlines()
    i = 0
    while i < len(lines):
        t = lines[i].split()
        if t and t[0] == "Size":
            n = int(lines[i + 1])
        elif t and t[0] == "AtomData:":
            if "nbh_grades" in t:
                col = t.index("nbh_grades") - 1
                atom_grades += [float(lines[i + 1 + k].split()[col]) for k in range(n)]
            i += n
        elif t and t[0] == "Feature" and t[1] == "MV_grade":
            cfg_grades.append(float(t[2]))
        i += 1
    return cfg_grades, atom_grades


def test_grade_histograms_are_the_file():
    need_matplotlib()
    from openmtp.plot_grades import grades_figure, read_grades
    path, stderr = graded("nbh")
    want_cfg, want_atoms = parse_graded(path)
    assert len(want_cfg) == 16 and len(want_atoms) == 16 * 16
    got_cfg, got_atoms = read_grades(path)
    assert got_cfg == want_cfg and got_atoms == want_atoms
    largest = re.search(r"largest grade (\S+),", stderr).group(1)
    assert "%g" % max(want_cfg) == largest, (max(want_cfg), largest)
    assert max(want_cfg) > 10 and min(want_cfg) < 1, "expected grades on both sides of the thresholds"
    fig, panels = grades_figure([("graded", got_cfg, got_atoms)], 2.0, 10.0)
    for kind, values in (("configurations", want_cfg), ("atoms", want_atoms)):
        ax = panels[kind]
        (patch,) = [p for p in ax.patches if (p.get_gid() or "").startswith("grades:%s:" % kind)]
        counts, edges = patch.get_data()[:2]
        assert list(counts) == list(np.histogram(values, bins=edges)[0]), kind
        assert counts.sum() == len(values) and edges[0] <= min(values) and edges[-1] >= max(values)
        marked = sorted(ln.get_xdata()[0] for ln in ax.get_lines())
        assert marked == [1.0, 2.0, 10.0], marked
    import matplotlib.pyplot as plt
    plt.close(fig)
    png = os.path.join(os.path.dirname(path), "grades.png")
    r = subprocess.run([sys.executable, "-m", "openmtp.plot", "grades", path, png],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    w, h = check_png(png, 900, 400)
    text = _plotting.png_text(png)["Description"].splitlines()
    name = os.path.basename(path)
    expect = ["%s: %d %s, max %g, %d > 2, %d > 10" % (name, len(v), kind, max(v),
                                                      sum(g > 2 for g in v), sum(g > 10 for g in v))
              for kind, v in (("configurations", want_cfg), ("atoms", want_atoms))]
    assert text == expect, (text, expect)
    print("  %s: %dx%d; %s" % (png, w, h, "; ".join(text)))


def test_configuration_mode_has_one_panel():
    need_matplotlib()
    from openmtp.plot_grades import grades_figure, read_grades
    path, _ = graded("cfg")
    g, atoms = read_grades(path)
    assert atoms is None and g == parse_graded(path)[0]
    fig, panels = grades_figure([("graded", g, None)], 2.0, 0)
    assert list(panels) == ["configurations"]
    assert sorted(ln.get_xdata()[0] for ln in panels["configurations"].get_lines()) == [1.0, 2.0]
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_ungraded_input_is_an_error():
    need_matplotlib()
    from openmtp import plot
    d = workdir("plot-grades")
    raw = os.path.join(d, "explore.cfg")
    graded("nbh")
    out = os.path.join(d, "ungraded.png")
    for args, message in ((["grades", raw, out], "%s: configuration 1 has no MV_grade" % raw),
                          (["grades", raw], "needs GRADED.cfg")):
        buf = io.StringIO()
        with contextlib.redirect_stderr(buf):
            try:
                status = plot.main(args)
            except SystemExit as e:  # argparse usage errors
                status = e.code
        assert status in (1, 2) and message in buf.getvalue(), (status, buf.getvalue())
    assert not os.path.exists(out)


if __name__ == "__main__":
    run_tests(globals())
