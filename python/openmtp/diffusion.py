# SPDX-License-Identifier: BSD-3-Clause
"""Diffusion coefficients per direction from LAMMPS mean-squared displacements,
with error bars from independent blocks, and Arrhenius fits.

The MD protocol this reads (examples/li3ps4-beta/md/diffusion.lmp) splits a
production run into B consecutive blocks of equal length L.  At the start of
each block a fresh `compute msd` (com yes: the group's centre-of-mass drift
removed) takes the positions as origin, and `fix ave/time` writes

    # TimeStep c_msd[1] c_msd[2] c_msd[3] c_msd[4]
    STEP  <dx^2>  <dy^2>  <dz^2>  <dr^2>

(Angstrom^2, metal units) every few steps to block-NNN.msd.  In each block the
coefficients come from a least-squares line through MSD(t) over the diffusive
part of the block, t in [skip L, L] (the ballistic and cage regime at short t
left out): D_x = slope_x / 2, D_y, D_z alike, D = slope_r / 6 (Einstein).
Consecutive blocks, each much longer than the time over which the motion stays
correlated, give independent estimates: the result is the mean over blocks and its standard error
std(ddof=1) / sqrt(B).  Units: Angstrom^2/ps in, cm^2/s out (1 A^2/ps = 1e-4
cm^2/s).

    python3 -m openmtp.diffusion block-*.msd [--skip=0.25] [--timestep=0.001]
    python3 -m openmtp.diffusion --arrhenius T1:DIR1 T2:DIR2 ... [--png=FILE]
"""

import glob
import math
import os
import sys

from ._plotting import PlotError
from ._textfile import data_lines, open_text

A2_PER_PS_TO_CM2_PER_S = 1e-4
BOLTZMANN_EV_PER_K = 8.617333262e-5
DIRECTIONS = ("x", "y", "z", "total")


class DiffusionError(ValueError):
    """Bad or insufficient MSD data (the message names the file and line)."""


def read_msd(path):
    """[(step, msd_x, msd_y, msd_z, msd_total)] of one block file (fix ave/time)."""
    rows = []
    with open_text(path, DiffusionError) as f:
        for no, t, line in data_lines(f):
            if len(t) != 5:
                raise DiffusionError("%s:%d: expected 'step msd_x msd_y msd_z msd_total', found %d fields"
                                     % (path, no, len(t)))
            try:
                v = [float(x) for x in t]
            except ValueError:
                raise DiffusionError("%s:%d: expected numbers, found '%s'" % (path, no, line.strip()))
            if not all(math.isfinite(x) for x in v) or min(v[1:]) < 0:
                raise DiffusionError("%s:%d: expected finite, non-negative MSDs" % (path, no))
            if rows and v[0] <= rows[-1][0]:
                raise DiffusionError("%s:%d: steps must increase (%g after %g)" % (path, no, v[0], rows[-1][0]))
            rows.append(tuple(v))
    return rows


def _slope(ts, ys):
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    stt = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / stt


def block_coefficients(rows, timestep, skip=0.25, path="block"):
    """{direction: D in cm^2/s} of one block: slope of MSD(t) over t in [skip L, L]."""
    if not 0 <= skip < 1:
        raise DiffusionError("skip=%g: expected 0 <= skip < 1" % skip)
    if len(rows) < 2:
        raise DiffusionError("%s: expected at least 2 MSD rows, found %d" % (path, len(rows)))
    t0 = rows[0][0]
    times = [(r[0] - t0) * timestep for r in rows]  # ps
    length = times[-1]
    fit = [(t, r) for t, r in zip(times, rows) if t >= skip * length]
    if len(fit) < 3:
        raise DiffusionError("%s: only %d MSD rows in the fitting window [%g, %g] ps; write the MSD more often"
                             % (path, len(fit), skip * length, length))
    ts = [t for t, _ in fit]
    d = {}
    for k, (name, dim) in enumerate(zip(DIRECTIONS, (1, 1, 1, 3))):
        d[name] = _slope(ts, [r[1 + k] for _, r in fit]) / (2 * dim) * A2_PER_PS_TO_CM2_PER_S
    return d


def mean_and_error(values):
    """(mean, standard error of the mean) of independent estimates."""
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, float("nan")
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    return m, math.sqrt(var / n)


def analyse(paths, timestep, skip=0.25):
    """{'blocks': [per-block dicts], 'D': {dir: (mean, err)}, 'n_blocks': B, 'block_ps': L}."""
    if not paths:
        raise DiffusionError("no MSD block files given")
    blocks, lengths = [], []
    for p in paths:
        rows = read_msd(p)
        blocks.append(block_coefficients(rows, timestep, skip, p))
        lengths.append((rows[-1][0] - rows[0][0]) * timestep)
    if max(lengths) > 1.01 * min(lengths):
        raise DiffusionError("blocks differ in length (%g to %g ps): expected equal blocks" % (min(lengths), max(lengths)))
    return {"blocks": blocks, "n_blocks": len(blocks), "block_ps": lengths[0],
            "D": {k: mean_and_error([b[k] for b in blocks]) for k in DIRECTIONS}}


def arrhenius(points):
    """Weighted fit of ln D = ln D0 - Ea / (kB T) to [(T, D, err)]:
    {'Ea': (eV, err), 'D0': (cm^2/s, relative err of ln D0)}.  Weights 1/var(ln D)
    with var(ln D) = (err/D)^2; without error bars, unweighted."""
    pts = [(T, D, e) for T, D, e in points if D > 0]
    if len(pts) < 2:
        raise DiffusionError("an Arrhenius fit needs at least 2 temperatures with D > 0, got %d" % len(pts))
    xs = [1.0 / (BOLTZMANN_EV_PER_K * T) for T, _, _ in pts]
    ys = [math.log(D) for _, D, _ in pts]
    ws = [(D / e) ** 2 if (e and math.isfinite(e) and e > 0) else 1.0 for _, D, e in pts]
    sw = sum(ws)
    mx = sum(w * x for w, x in zip(ws, xs)) / sw
    my = sum(w * y for w, y in zip(ws, ys)) / sw
    sxx = sum(w * (x - mx) ** 2 for w, x in zip(ws, xs))
    slope = sum(w * (x - mx) * (y - my) for w, x, y in zip(ws, xs, ys)) / sxx
    intercept = my - slope * mx
    # parameter errors from the weights (or from the scatter when unweighted)
    if all(w == 1.0 for w in ws) and len(pts) > 2:
        s2 = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys)) / (len(pts) - 2)
    else:
        s2 = 1.0
    slope_err = math.sqrt(s2 / sxx)
    icept_err = math.sqrt(s2 * (1.0 / sw + mx * mx / sxx))
    # cov(ln D0, slope) = -s2 mx / sxx, so cov(ln D0, Ea) = +s2 mx / sxx (for extrapolate())
    return {"Ea": (-slope, slope_err), "D0": (math.exp(intercept), icept_err),
            "cov_lnD0_Ea": s2 * mx / sxx}


def extrapolate(fit, T):
    """(D(T) in cm^2/s, standard error of ln D(T)) from an arrhenius() fit, with the fit's
    covariance: ln D = ln D0 - Ea x, x = 1/(kB T), var = var(ln D0) + x^2 var(Ea)
    - 2 x cov(ln D0, Ea).  The error is multiplicative: D exp(+-err)."""
    x = 1.0 / (BOLTZMANN_EV_PER_K * T)
    Ea, Eerr = fit["Ea"]
    D0, lnD0_err = fit["D0"]
    var = lnD0_err ** 2 + x * x * Eerr ** 2 - 2 * x * fit["cov_lnD0_Ea"]
    return D0 * math.exp(-Ea * x), math.sqrt(max(var, 0.0))


def format_table(result, label=""):
    out = ["%sD (cm^2/s) from %d blocks of %g ps, error = standard error of the block mean"
           % (label + ": " if label else "", result["n_blocks"], result["block_ps"])]
    for k in DIRECTIONS:
        m, e = result["D"][k]
        out.append("  D_%-5s %.4e +- %.1e" % (k, m, e))
    return "\n".join(out)


def _block_files(spec):
    if os.path.isdir(spec):
        files = sorted(glob.glob(os.path.join(spec, "block-*.msd")))
        if not files:
            raise DiffusionError("%s: no block-*.msd files" % spec)
        return files
    return [spec]


def plot_arrhenius(rows, fit, png):
    from ._plotting import pyplot, save_png
    fig, ax = pyplot().subplots(figsize=(5, 4))
    for k, marker in zip(DIRECTIONS, "o^sD"):
        xs = [1000.0 / T for T, _ in rows]
        ys = [r["D"][k][0] for _, r in rows]
        es = [r["D"][k][1] for _, r in rows]
        ax.errorbar(xs, ys, yerr=es, fmt=marker, label="D_" + k, capsize=3)
    Ea, Eerr = fit["Ea"]
    D0 = fit["D0"][0]
    Ts = [T for T, _ in rows]
    xs = [1000.0 / min(Ts) * f + 1000.0 / max(Ts) * (1 - f) for f in (0, 1)]
    ax.plot(xs, [D0 * math.exp(-Ea / (BOLTZMANN_EV_PER_K * 1000.0 / x)) for x in xs], "k--",
            label="Arrhenius fit (total): Ea = %.3f +- %.3f eV" % (Ea, Eerr))
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("D (cm$^2$/s)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, png, "Arrhenius plot of D", "Ea (total) = %.6g +- %.3g eV, D0 = %.6g cm^2/s" % (Ea, Eerr, D0))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    skip, timestep, png, arr, files = 0.25, 0.001, None, False, []
    for a in argv:
        if a.startswith("--skip="):
            skip = float(a[7:])
        elif a.startswith("--timestep="):
            timestep = float(a[11:])
        elif a.startswith("--png="):
            png = a[6:]
        elif a == "--arrhenius":
            arr = True
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        elif a.startswith("--"):
            sys.stderr.write("openmtp.diffusion: unknown option %s\n" % a)
            return 2
        else:
            files.append(a)
    if not timestep > 0:
        sys.stderr.write("openmtp.diffusion: --timestep must be > 0 (ps)\n")
        return 2
    try:
        if not arr:
            paths = [p for f in files for p in _block_files(f)]
            print(format_table(analyse(paths, timestep, skip)))
            return 0
        rows = []
        for spec in files:
            T, sep, d = spec.partition(":")
            if not sep:
                raise DiffusionError("--arrhenius: expected T:DIR (e.g. 600:runs/T600), got '%s'" % spec)
            r = analyse(_block_files(d), timestep, skip)
            rows.append((float(T), r))
            print(format_table(r, "T = %s K" % T))
        rows.sort(key=lambda x: x[0])
        for k in DIRECTIONS:
            fit = arrhenius([(T, r["D"][k][0], r["D"][k][1]) for T, r in rows])
            print("Arrhenius D_%-5s Ea = %.3f +- %.3f eV, D0 = %.3e cm^2/s" % (k, fit["Ea"][0], fit["Ea"][1], fit["D0"][0]))
        if png:
            plot_arrhenius(rows, arrhenius([(T, r["D"]["total"][0], r["D"]["total"][1]) for T, r in rows]), png)
            print("wrote %s" % png)
    except (DiffusionError, PlotError) as e:  # PlotError: no matplotlib, unwritable picture
        sys.stderr.write("openmtp.diffusion: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
