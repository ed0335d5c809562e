# SPDX-License-Identifier: BSD-3-Clause
"""Learning curves from the log of `mtp train --log=FILE` (or its standard
output): training loss and RMSE of energies, forces and stresses, and the
validation set's (--valid_cfgs), against iteration and against wall time.

The numbers plotted are the ones the log prints.  Each optimisation stage
(pre-training, training, restart k) numbers its iterations from 1; the
iteration axis counts them one after the other, and dotted lines mark where
a stage begins.  Validation errors are computed every valid_every iterations
and repeated on the lines in between; each measurement is plotted once, at
the iteration the log says it is from ("(iter N)"; logs written before that
field existed: where the values change)."""
import re

from ._plotting import PlotError, pyplot, save_png

_NUM = r"([-+0-9.eEinfa]+)"
PROGRESS = re.compile(
    r"^(BFGS|VarPro) iter\s+(\d+)\s+loss " + _NUM + r"\s+rmse E " + _NUM + r" meV/atom\s+F " + _NUM
    + r" eV/A\s+S " + _NUM + r" GPa"
    + r"(?:\s+\| valid E " + _NUM + r" F " + _NUM
    + r"(?: S " + _NUM + r" loss " + _NUM + r" \(iter (\d+)\))?)?"
    + r"\s+evals (\d+) \((\d+) with gradient\)\s+elapsed " + _NUM + r"s\s+ETA<=" + _NUM + r"s\s*$")
FINAL = re.compile(r"^# final loss (\S+)\s+rmse E (\S+) meV/atom\s+F (\S+) eV/A\s+\((\d+) iterations, (\S+) s\)")
STAGES = [(re.compile(r"^# pre-training"), "pre-training"),
          (re.compile(r"^# training \("), "training"),
          (re.compile(r"^# restart (\d+) \(random start"), "restart %s")]


def read_train_log(path):
    """(stages, final): the progress lines as a list of stages {"name",
    "points": [dict]}, and the "# final loss" line's numbers (the potential
    kept: the best of the restarts) as a dict loss, E, F, iterations, elapsed,
    or None.  Each
    point has iteration (in its stage), step (counted over all stages), loss,
    E (meV/atom), F (eV/A), S (GPa), elapsed (s), and valid: None or a dict
    E, F, S, loss, iteration (S, loss, iteration None in older logs) and
    fresh (True where the validation set was evaluated)."""
    stages = []
    final = None
    offset = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = FINAL.match(line)
            if m:
                try:
                    final = {"loss": float(m.group(1)), "E": float(m.group(2)), "F": float(m.group(3)),
                             "iterations": int(m.group(4)), "elapsed": float(m.group(5))}
                except ValueError:
                    raise PlotError("%s:%d: expected numbers in the final line" % (path, ln)) from None
            for pattern, name in STAGES:
                m = pattern.match(line)
                if m:
                    if stages and stages[-1]["points"]:
                        offset = stages[-1]["points"][-1]["step"]
                    stages.append({"name": name % m.groups() if m.groups() else name, "points": []})
                    break
            if not re.match(r"^(BFGS|VarPro) iter\b", line):
                continue
            m = PROGRESS.match(line)
            if not m:
                raise PlotError("%s:%d: expected a progress line of `mtp train` ('%s iter N  loss L  "
                                "rmse E ...  elapsed Ts  ETA<=Ts')" % (path, ln, line.split()[0]))
            g = m.groups()
            try:
                vals = [None if x is None else float(x) for x in g[2:6] + g[6:10] + g[13:14]]
            except ValueError:
                raise PlotError("%s:%d: expected numbers in the progress line" % (path, ln)) from None
            if not stages:  # a log cut before its first stage line
                stages.append({"name": "training", "points": []})
            it = int(g[1])
            p = {"optimizer": g[0], "iteration": it, "step": offset + it, "loss": vals[0],
                 "E": vals[1], "F": vals[2], "S": vals[3], "elapsed": vals[8], "line": ln,
                 "valid": None}
            if vals[4] is not None:
                v = {"E": vals[4], "F": vals[5], "S": vals[6], "loss": vals[7],
                     "iteration": None if g[10] is None else int(g[10])}
                pts = stages[-1]["points"]
                prev = pts[-1]["valid"] if pts else None
                if v["iteration"] is not None:
                    v["fresh"] = v["iteration"] == it
                else:
                    v["fresh"] = prev is None or (prev["E"], prev["F"]) != (v["E"], v["F"])
                p["valid"] = v
            stages[-1]["points"].append(p)
    stages = [s for s in stages if s["points"]]
    if not stages:
        raise PlotError("%s: no progress lines of `mtp train` (write them with --log=FILE)" % path)
    return stages, final


# rows of the figure: key, axis label, log scale
ROWS = [("loss", "loss", True), ("E", "energy RMSE (meV/atom)", True),
        ("F", "force RMSE (eV/Å)", True), ("S", "stress RMSE (GPa)", True)]


def learning_figure(stages, final=None, title=None):
    """Rows: loss, energy, force (and stress, if any) RMSE; columns: against
    iteration and against wall time.  Training values are lines (gid
    "train:<stage>"), validation measurements markers ("valid:<stage>"), the
    final line's numbers a star ("final") at the end of the run.
    Returns (fig, panels) with panels = {(row key, "step"|"elapsed"): axes}."""
    plt = pyplot()
    pts = [p for s in stages for p in s["points"]]
    have_valid = any(p["valid"] for p in pts)

    def nonzero(key):
        return any(p[key] for p in pts) or any(
            p["valid"] and p["valid"].get(key) for p in pts)
    rows = [r for r in ROWS if r[0] == "loss" or nonzero(r[0])]
    fig, axes = plt.subplots(len(rows), 2, figsize=(11, 2.6 * len(rows) + 0.8), sharex="col",
                             squeeze=False)
    panels = {}
    for r, (key, label, log) in enumerate(rows):
        for c, xkey in enumerate(("step", "elapsed")):
            ax = axes[r][c]
            panels[(key, xkey)] = ax
            for k, s in enumerate(stages):
                sp = s["points"]
                ax.plot([p[xkey] for p in sp], [p[key] for p in sp], "-", color="C0",
                        gid="train:%s" % s["name"], label="training" if k == 0 else None)
                vp = [p for p in sp if p["valid"] and p["valid"]["fresh"]
                      and p["valid"].get(key) is not None]
                if vp:
                    ax.plot([p[xkey] for p in vp], [p["valid"][key] for p in vp], "o--",
                            color="C1", markersize=3.5, gid="valid:%s" % s["name"],
                            label="validation" + (" (no ridge term)" if key == "loss" else "")
                            if k == 0 else None)
                if k > 0 or len(stages) > 1:
                    x0 = sp[0][xkey]
                    ax.axvline(x0, color="gray", linestyle=":", linewidth=0.8)
                    if r == 0:
                        ax.annotate(s["name"], (x0, 1), xycoords=("data", "axes fraction"),
                                    xytext=(2, -2), textcoords="offset points", va="top",
                                    fontsize="x-small", color="gray")
            if final and key in final:
                ax.plot([pts[-1]["step"] if xkey == "step" else final["elapsed"]], [final[key]], "*",
                        color="C3", markersize=10, gid="final", label="final (kept)")
            if log and any(p[key] > 0 for p in pts):
                ax.set_yscale("log")
            if c == 0:
                ax.set_ylabel(label)
            if r == 0 and (have_valid or c == 0):
                ax.legend(fontsize="small", loc="best")
    axes[-1][0].set_xlabel("iteration (all stages in turn)")
    axes[-1][1].set_xlabel("wall time (s)")
    fig.suptitle(title or "mtp train: learning curves")
    fig.tight_layout()
    return fig, panels


def summary_lines(stages, final=None):
    """The last progress line's numbers, as the log prints them."""
    p = stages[-1]["points"][-1]
    out = ["stages: %s" % ", ".join("%s (%d iterations)" % (s["name"], len(s["points"]))
                                     for s in stages),
           "last: %s iteration %d, loss %.6e, rmse E %.3f meV/atom, F %.4f eV/A, S %.3f GPa, "
           "elapsed %.1f s" % (stages[-1]["name"], p["iteration"], p["loss"], p["E"], p["F"], p["S"],
                               p["elapsed"])]
    if p["valid"]:
        out.append("last validation: E %.3f meV/atom, F %.4f eV/A" % (p["valid"]["E"], p["valid"]["F"]))
    if final:
        out.append("final: loss %.17g, rmse E %.3f meV/atom, F %.4f eV/A (%d iterations, %.1f s)"
                   % (final["loss"], final["E"], final["F"], final["iterations"], final["elapsed"]))
    return out


def plot_learning(log_path, png_path, title=None):
    stages, final = read_train_log(log_path)
    fig, _ = learning_figure(stages, final, title)
    lines = summary_lines(stages, final)
    save_png(fig, png_path, title or "learning curves of %s" % log_path, "\n".join(lines))
    return lines
