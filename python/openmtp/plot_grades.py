# SPDX-License-Identifier: BSD-3-Clause
"""Histograms of extrapolation grades from the output of `mtp calculate_grade`
(or any configurations with the MV_grade feature, e.g. the frames LAMMPS
saved with extrapolation control): per configuration (MV_grade) and, in
neighbourhood mode, per atom (the nbh_grades column), with the thresholds of
active learning marked: 1 (beyond it the potential extrapolates),
threshold_save (frames saved for labelling, default 2) and threshold_break
(the run stops, default 10), and how many lie above each."""
import ctypes
import math
import os

import numpy as np

from ._plotting import PlotError, pyplot, save_png


def read_grades(path, fmt="auto"):
    """(per-configuration grades, per-atom grades or None) of a file, read by
    libopenmtp (any format it reads; relative or atomic-number types alike).
    MV_grade is taken as the file prints it."""
    from . import _cfg
    from ._lib import MTPError, check, lib, new_error
    from .io import _format_code
    L = lib()
    path = os.fspath(path)
    err = new_error()
    reader = ctypes.c_void_p()
    opt = _cfg.mtp_read_options()
    try:
        check(L.mtp_reader_open(path.encode(), _format_code(fmt, "auto"), ctypes.byref(opt),
                                ctypes.byref(reader), err), err)
    except MTPError as e:
        raise PlotError(str(e)) from None
    cfg = _cfg.new_cfg()
    L.mtp_cfg_init(cfg)
    grades, atom_grades, with_atoms = [], [], 0
    try:
        got = ctypes.c_int()
        while True:
            try:
                check(L.mtp_reader_next(reader, cfg, ctypes.byref(got), err), err)
            except MTPError as e:
                raise PlotError(str(e)) from None
            if not got.value:
                break
            k = len(grades) + 1
            value = None
            for i in range(cfg.n_features):
                if cfg.features[i].key == b"MV_grade":
                    value = (cfg.features[i].value or b"").decode()
            if value is None:
                raise PlotError("%s: configuration %d has no MV_grade feature (grade the "
                                "configurations with `mtp calculate_grade` first)" % (path, k))
            try:
                g = float(value)
            except ValueError:
                g = math.nan
            if not math.isfinite(g) or g < 0:
                raise PlotError("%s: configuration %d: MV_grade '%s' is not a grade (a finite "
                                "number >= 0)" % (path, k, value))
            grades.append(g)
            a = _cfg.array(cfg, "nbh_grades") if _cfg.has_array("nbh_grades") else None
            if a is not None:
                with_atoms += 1
                atom_grades.extend(float(x) for x in a)
    finally:
        L.mtp_cfg_free(cfg)
        L.mtp_reader_close(reader)
    if not grades:
        raise PlotError("%s: no configurations" % path)
    if with_atoms and with_atoms != len(grades):
        raise PlotError("%s: %d of %d configurations have per-atom grades (nbh_grades); expected "
                        "all or none" % (path, with_atoms, len(grades)))
    return grades, (atom_grades if with_atoms else None)


def grade_bins(values, count=40):
    """Bin edges over all values: logarithmic when they span more than a
    factor 10 (grades usually do), else linear."""
    lo, hi = min(values), max(values)
    if hi <= lo:
        return np.array([lo - 0.5, hi + 0.5]) if lo == 0 else np.array([lo * 0.95, hi * 1.05])
    if lo > 0 and hi / lo > 10:
        return np.geomspace(lo, hi, count + 1)
    return np.linspace(lo, hi, count + 1)


def above(values, threshold):
    """How many values exceed the threshold (grade > threshold is saved or
    breaks, as in LAMMPS' extrapolation control)."""
    return sum(1 for v in values if v > threshold)


def grades_figure(sets, threshold_save=2.0, threshold_break=10.0, title=None):
    """sets: [(label, per-configuration grades, per-atom grades or None)].
    One panel per configuration grades, one per atom grades (if any set has
    them).  Each histogram is a StepPatch (gid "grades:<panel>:<label>") whose
    get_data() gives the counts and bin edges.  Returns (fig, panels) with
    panels = {"configurations"|"atoms": axes}."""
    plt = pyplot()
    kinds = [("configurations", 1)] + ([("atoms", 2)] if any(s[2] for s in sets) else [])
    fig, axes = plt.subplots(1, len(kinds), figsize=(6.2 * len(kinds), 4.8), squeeze=False)
    panels = {}
    marks = [(1.0, "1 (extrapolation beyond)", "gray", ":")]
    if threshold_save > 0:
        marks.append((threshold_save, "threshold_save %g" % threshold_save, "C2", "--"))
    if threshold_break > 0:
        marks.append((threshold_break, "threshold_break %g" % threshold_break, "C3", "--"))
    for col, (kind, idx) in enumerate(kinds):
        ax = axes[0][col]
        panels[kind] = ax
        allv = [v for s in sets if s[idx] for v in s[idx]]
        edges = grade_bins(allv)
        counts_text = []
        for k, s in enumerate(sets):
            values = s[idx]
            if not values:
                continue
            counts, _ = np.histogram(values, bins=edges)
            ax.stairs(counts, edges, fill=len(sets) == 1, alpha=0.75 if len(sets) == 1 else 1,
                      color="C%d" % (k if len(sets) > 1 else 0), label=s[0] if len(sets) > 1 else None,
                      gid="grades:%s:%s" % (kind, s[0]))
            parts = ["%d %s" % (len(values), kind), "max %g" % max(values)]
            parts += ["%d > %g" % (above(values, t), t) for t, _l, _c, _s in marks[1:]]
            counts_text.append(("%s: " % s[0] if len(sets) > 1 else "") + ", ".join(parts))
        # always marked, also outside the grades' range (the axis extends to them)
        for t, label, color, style in marks:
            ax.axvline(t, color=color, linestyle=style, linewidth=1.2, label=label)
        if edges[0] > 0 and edges[-1] / edges[0] > 10:
            ax.set_xscale("log")
        ax.set_xlabel("extrapolation grade" + (" of each configuration (MV_grade)"
                                               if kind == "configurations"
                                               else " of each atom (nbh_grades)"))
        ax.set_ylabel("number of %s" % kind)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title("\n".join(counts_text), fontsize="small")
        ax.legend(fontsize="small")
    fig.suptitle(title or "extrapolation grades")
    fig.tight_layout()
    return fig, panels


def summary_lines(sets, threshold_save=2.0, threshold_break=10.0):
    out = []
    for label, cfg_g, atom_g in sets:
        for kind, values in (("configurations", cfg_g), ("atoms", atom_g)):
            if values:
                line = "%s: %d %s, max %g" % (label, len(values), kind, max(values))
                for t in (threshold_save, threshold_break):
                    if t > 0:
                        line += ", %d > %g" % (above(values, t), t)
                out.append(line)
    return out


def plot_grades(paths, png_path, threshold_save=2.0, threshold_break=10.0, title=None, fmt="auto"):
    sets = [(os.path.basename(p),) + read_grades(p, fmt) for p in paths]
    fig, _ = grades_figure(sets, threshold_save, threshold_break, title)
    lines = summary_lines(sets, threshold_save, threshold_break)
    save_png(fig, png_path, title or "extrapolation grades of %s" % ", ".join(paths), "\n".join(lines))
    return lines
