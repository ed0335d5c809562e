# SPDX-License-Identifier: BSD-3-Clause
"""Parity plots and error histograms from the data file of `mtp check_errors
--parity_to=FILE.png` (or --parity_data=FILE): energy per atom, force
components and stress components, predicted against reference, and the
distribution of their differences.

The MAE/RMSE shown are recomputed here from the file's `difference` column,
summed in the file's order as check_errors sums them, and printed in the same
format: the lines of the picture (and of its PNG Description) are the lines
"MAE / RMSE (component-wise)" of check_errors' report."""
import math

from ._plotting import PlotError, pyplot, save_png

HEADER = ["quantity", "cfg", "atom", "type", "component", "reference", "predicted", "difference"]

# quantity: (title, axis label, unit of the values, factor and unit of the
#            errors, check_errors' report line, what is counted)
QUANTITIES = {
    "energy_per_atom": ("Energy per atom", "energy per atom", "eV/atom", 1e3, "meV/atom",
                        "Energy per atom   MAE %10.4f  RMSE %10.4f  meV/atom  (%d configurations)"),
    "force": ("Forces", "force component", "eV/Å", 1.0, "eV/Å",
              "Forces            MAE %10.4f  RMSE %10.4f  eV/A      (%d components)"),
    "stress": ("Stress", "virial stress component W/V", "GPa", 1.0, "GPa",
               "Stress            MAE %10.4f  RMSE %10.4f  GPa       (%d components)"),
}


def read_parity(path):
    """{quantity: {"cfg", "atom", "type", "component", "reference",
    "predicted", "difference": lists}} in the file's order, for the
    quantities present.  PlotError with "file:line: ..." for a malformed
    file."""
    data = {}
    header_seen = False
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if not header_seen:
                if fields != HEADER:
                    raise PlotError("%s:%d: expected the header line '%s' of `mtp check_errors "
                                    "--parity_data`" % (path, ln, "\\t".join(HEADER)))
                header_seen = True
                continue
            if len(fields) != len(HEADER):
                raise PlotError("%s:%d: expected %d tab-separated fields, found %d"
                                % (path, ln, len(HEADER), len(fields)))
            q = fields[0]
            if q not in QUANTITIES:
                raise PlotError("%s:%d: unknown quantity '%s' (expected %s)"
                                % (path, ln, q, ", ".join(QUANTITIES)))
            try:
                cfg = int(fields[1])
                atom = None if fields[2] == "-" else int(fields[2])
                typ = None if fields[3] == "-" else int(fields[3])
                ref, pred, diff = (float(x) for x in fields[5:8])
            except ValueError:
                raise PlotError("%s:%d: expected integers cfg/atom/type ('-' for none) and "
                                "three numbers" % (path, ln)) from None
            if not all(math.isfinite(x) for x in (ref, pred, diff)):
                raise PlotError("%s:%d: non-finite value" % (path, ln))
            d = data.setdefault(q, {k: [] for k in HEADER[1:]})
            for key, value in zip(HEADER[1:], (cfg, atom, typ, fields[4], ref, pred, diff)):
                d[key].append(value)
    if not header_seen:
        raise PlotError("%s: no header line; not a file of `mtp check_errors --parity_data`" % path)
    if not data:
        raise PlotError("%s: no compared values (the reference data had no energies, forces or "
                        "stresses that check_errors compares)" % path)
    return data


def error_stats(differences, factor=1.0):
    """(count, MAE, RMSE) of the differences times factor, summed in order
    (as check_errors sums them, so that the printed digits agree)."""
    s = s2 = 0.0
    for d in differences:
        s += abs(d)
        s2 += d * d
    n = len(differences)
    return n, factor * s / n, factor * math.sqrt(s2 / n)


def report_lines(data):
    """check_errors' "MAE / RMSE (component-wise)" lines (without the
    leading tab), recomputed from the data."""
    out = []
    for q, (_t, _a, _u, factor, _eu, fmt) in QUANTITIES.items():
        if q in data:
            n, mae, rmse = error_stats(data[q]["difference"], factor)
            out.append(fmt % (mae, rmse, n))
    return out


def parity_figure(data, title=None):
    """The figure: per quantity present, a parity plot (top) and a histogram
    of predicted - reference (bottom).  Returns (fig, panels) with panels =
    {quantity: (parity axes, histogram axes)}."""
    plt = pyplot()
    names = [q for q in QUANTITIES if q in data]
    fig, axes = plt.subplots(2, len(names), figsize=(4.6 * len(names), 8.6), squeeze=False)
    panels = {}
    for col, q in enumerate(names):
        label, axis, unit, factor, err_unit, _fmt = QUANTITIES[q]
        d = data[q]
        n, mae, rmse = error_stats(d["difference"], factor)
        ax, hx = axes[0][col], axes[1][col]
        panels[q] = (ax, hx)
        types = sorted({t for t in d["type"] if t is not None})
        groups = [(None, list(range(n)))] if len(types) < 2 else \
            [(t, [i for i in range(n) if d["type"][i] == t]) for t in types]
        size = 14 if n < 300 else 5 if n < 30000 else 1.5
        for t, idx in groups:
            ax.scatter([d["reference"][i] for i in idx], [d["predicted"][i] for i in idx],
                       s=size, alpha=0.6, linewidths=0, rasterized=True,
                       label=None if t is None else "type %d" % t)
        lo = min(min(d["reference"]), min(d["predicted"]))
        hi = max(max(d["reference"]), max(d["predicted"]))
        pad = 0.04 * (hi - lo) if hi > lo else max(1e-3, 0.04 * abs(hi))
        lim = (lo - pad, hi + pad)
        ax.plot(lim, lim, color="gray", linewidth=0.8, zorder=0)
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("reference %s (%s)" % (axis, unit))
        ax.set_ylabel("predicted %s (%s)" % (axis, unit))
        count = "%d configurations" % n if q == "energy_per_atom" else "%d components" % n
        ax.set_title("%s\nMAE %.4f  RMSE %.4f %s\n(%s)" % (label, mae, rmse, err_unit, count),
                     fontsize="medium")
        if len(groups) > 1:
            ax.legend(fontsize="small", markerscale=2)
        diffs = [factor * x for x in d["difference"]]
        bins = max(10, min(80, int(round(math.sqrt(n)))))
        hx.hist(diffs, bins=bins, color="C0", alpha=0.8)
        hx.axvline(0, color="gray", linewidth=0.8)
        hx.set_xlabel("predicted − reference (%s)" % err_unit)
        hx.set_ylabel("count")
        hx.yaxis.get_major_locator().set_params(integer=True)
        hx.set_title("error histogram", fontsize="medium")
    fig.suptitle(title or "mtp check_errors: predicted against reference")
    fig.tight_layout()
    return fig, panels


def plot_parity(data_path, png_path, title=None):
    """Read the data file, draw, write png_path; returns the report lines shown."""
    data = read_parity(data_path)
    fig, _ = parity_figure(data, title)
    lines = report_lines(data)
    save_png(fig, png_path, title or "parity plots of %s" % data_path, "\n".join(lines))
    return lines
