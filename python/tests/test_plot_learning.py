# SPDX-License-Identifier: BSD-3-Clause
"""`python3 -m openmtp.plot learning TRAIN.log OUT.png`: learning curves of an
`mtp train` run.  The picture is written, the curves drawn are the numbers
the log prints (parsed here independently, compared with the figure's
lines), each validation measurement is drawn once at the iteration it was
made, logs written before the validation fields were added still plot, and
a malformed log is an error with file:line."""
import contextlib
import io
import os
import re
import subprocess
import sys

from openmtp import _plotting
from plotlib import check_png, labelled, li_frames, mtp, need_matplotlib
from testlib import assert_close, run_tests, workdir

_LOG = []


def train_log():
    """A short run (MLIP-3's optimizer: 75 pre-training steps, then 12) with a
    validation set; its --log=stdout output, report included.  Made once."""
    if _LOG:
        return _LOG[0]
    d = workdir("plot-learning")
    train = labelled(os.path.join(d, "train.cfg"), li_frames(12, 100, 0.03))
    valid = labelled(os.path.join(d, "valid.cfg"), li_frames(4, 200, 0.03))
    init = os.path.join(d, "init.almtp")
    mtp("init", "--level=6", "-o", init)
    r = mtp("train", init, train, "--save_to=%s" % os.path.join(d, "pot.almtp"),
            "--valid_cfgs=%s" % valid, "--optimizer=bfgs", "--iteration_limit=12", "--al_mode=none",
            "--log=stdout")
    log = os.path.join(d, "train.log")
    with open(log, "w") as f:
        f.write(r.stdout)
    _LOG.append(log)
    return log


def parse_log(path):
    """Independent reading of the progress lines: per stage, lists of
    (step, values) with step counted over the stages."""
    stages, offset = [], 0
    for line in open(path):
        if line.startswith("# pre-training") or line.startswith("# training ("):
            if stages:
                offset = stages[-1][-1]["step"]
            stages.append([])
        t = line.split()
        if len(t) < 3 or t[0] not in ("BFGS", "VarPro") or t[1] != "iter":
            continue
        it = int(t[2])
        p = {"step": offset + it, "loss": float(t[4]), "E": float(t[t.index("E") + 1]),
             "F": float(t[t.index("F") + 1]), "S": float(t[t.index("S") + 1]),
             "elapsed": float(t[t.index("elapsed") + 1].rstrip("s"))}
        if "|" in t:
            v = t[t.index("|") + 1:]
            p["valid"] = {"E": float(v[2]), "F": float(v[4]), "S": float(v[6]), "loss": float(v[8]),
                          "at": int(v[10].rstrip(")"))}
            p["fresh"] = p["valid"]["at"] == it
        stages[-1].append(p)
    return stages


def test_learning_curves_are_the_log():
    need_matplotlib()
    from openmtp.plot_learning import learning_figure, read_train_log
    log = train_log()
    want = parse_log(log)
    assert [len(s) for s in want] == [75, 12], [len(s) for s in want]
    fresh = [p for s in want for p in s if p.get("fresh")]
    # validation every 10 iterations and at the first of each stage
    assert [p["step"] for p in fresh] == [1, 10, 20, 30, 40, 50, 60, 70, 76, 85], \
        [p["step"] for p in fresh]
    stages, final = read_train_log(log)
    assert [s["name"] for s in stages] == ["pre-training", "training"]
    assert final and final["iterations"] == 12
    fig, panels = learning_figure(stages, final)
    assert set(k for k, _ in panels) == {"loss", "E", "F", "S"}, panels.keys()
    for (key, xkey), ax in panels.items():
        lines = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
        for name, ws in zip(("pre-training", "training"), want):
            tr = lines["train:" + name]
            assert_close(tr.get_xdata(), [p[xkey] for p in ws], what="%s %s x" % (key, xkey))
            assert_close(tr.get_ydata(), [p[key] for p in ws], what="%s %s train" % (key, xkey))
            wf = [p for p in ws if p.get("fresh")]
            va = lines["valid:" + name]
            assert_close(va.get_xdata(), [p[xkey] for p in wf], what="%s %s valid x" % (key, xkey))
            assert_close(va.get_ydata(), [p["valid"][key] for p in wf], what="%s valid" % key)
    import matplotlib.pyplot as plt
    plt.close(fig)
    png = os.path.join(os.path.dirname(log), "learning.png")
    r = subprocess.run([sys.executable, "-m", "openmtp.plot", "learning", log, png],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    w, h = check_png(png, 900, 900)
    text = _plotting.png_text(png)["Description"]
    printed = re.search(r"^# final loss (\S+)", open(log).read(), re.M).group(1)
    assert "final: loss %s," % printed in text, (printed, text)
    print("  %s: %dx%d" % (png, w, h))


def test_log_without_validation_fields():
    """A log of the format before the validation S/loss/(iter N) fields: the
    training curves are the same and the validation points are those where
    the printed values change."""
    need_matplotlib()
    from openmtp.plot_learning import read_train_log
    log = train_log()
    old = os.path.join(os.path.dirname(log), "old-format.log")
    with open(log) as f, open(old, "w") as g:
        g.write(re.sub(r" S \S+ loss \S+ \(iter \d+\)", "", f.read()))
    new_stages, _ = read_train_log(log)
    old_stages, _ = read_train_log(old)
    for a, b in zip(new_stages, old_stages):
        assert [(p["step"], p["loss"], p["E"], p["F"], p["elapsed"]) for p in a["points"]] == \
            [(p["step"], p["loss"], p["E"], p["F"], p["elapsed"]) for p in b["points"]]
        fa = [(p["step"], p["valid"]["E"], p["valid"]["F"]) for p in a["points"] if p["valid"]["fresh"]]
        fb = [(p["step"], p["valid"]["E"], p["valid"]["F"]) for p in b["points"] if p["valid"]["fresh"]]
        assert fa == fb, (fa, fb)


def test_malformed_logs():
    need_matplotlib()
    d = workdir("plot-learning")
    good = open(train_log()).read().splitlines(True)
    idx = next(i for i, ln in enumerate(good) if ln.startswith("BFGS iter    3"))
    bad = os.path.join(d, "bad.log")
    with open(bad, "w") as f:
        f.writelines(good[:idx] + ["BFGS iter    3  loss x.y  rmse E\n"] + good[idx + 1:])
    empty = os.path.join(d, "empty.log")
    with open(empty, "w") as f:
        f.write("# nothing trained\n")
    from openmtp import plot
    for path, message in ((bad, "%s:%d: expected a progress line" % (bad, idx + 1)),
                          (empty, "%s: no progress lines" % empty)):
        out = path + ".png"
        buf = io.StringIO()
        with contextlib.redirect_stderr(buf):
            status = plot.main(["learning", path, out])  # what `python3 -m openmtp.plot` runs
        assert status == 1 and message in buf.getvalue(), (status, buf.getvalue())
        assert not os.path.exists(out)


if __name__ == "__main__":
    run_tests(globals())
