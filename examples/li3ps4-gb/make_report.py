#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The grain-boundary diffusion report (issue 13 item 6) from the committed analysis outputs:
Markdown + PNGs, nothing recomputed from trajectories.

    make_report.py [--results results] [-o report] [--T-extrapolate 300]

Reads results/boundaries.txt (collect_boundaries.py; optional) and, per MD cell C,
results/C/cell.regions (prepare_cell.py), results/C/T<T>.txt (python3 -m
openmtp.region_diffusion) and results/C/T<T>.run (potential, atoms, ns/day of the blocks).
Writes report/README.md, report/arrhenius-C.png (D_par and D_normal per region with the
Arrhenius fits) and report/isotropy.png (log10 D_total against the isotropy parameter
eta = D_normal / D_par, one point per cell, region and temperature).  Arrhenius fits are
openmtp.diffusion.arrhenius (weighted by the block error bars); D at 300 K is
openmtp.diffusion.extrapolate with the fit covariance (error multiplicative, D x/÷ exp(err))."""
import argparse
import glob
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))
from openmtp import diffusion, region_diffusion  # noqa: E402
from openmtp.diffusion import DiffusionError  # noqa: E402
from openmtp._textfile import write_atomic  # noqa: E402

REGION_NAMES = {"all": "whole cell", "near": "near a boundary", "middle": "bulk-like middle"}
FIT_QUANTITIES = ("D_par", "D_normal", "D_total")


def read_run(path):
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                if k and not k.startswith("#"):
                    out[k] = v
    return out


def load_cells(results):
    cells = []
    for d in sorted(glob.glob(os.path.join(results, "*", "cell.regions"))):
        cdir = os.path.dirname(d)
        reg = region_diffusion.read_regions(d)
        temps = []
        for p in glob.glob(os.path.join(cdir, "T*.txt")):
            try:
                T = float(os.path.basename(p)[1:-4])
            except ValueError:
                raise DiffusionError("%s: expected a name T<temperature>.txt" % p)
            temps.append((T, region_diffusion.read_result(p), read_run(p[:-4] + ".run")))
        temps.sort(key=lambda x: x[0])
        name = os.path.basename(cdir)
        cells.append({"name": name, "label": reg["label"], "kind": reg["kind"], "temps": temps,
                      "fractions": reg["boundary_fractions"]})
    # bulk first, then the boundaries by name
    cells.sort(key=lambda c: (c["kind"] != "bulk", c["name"]))
    return cells


def fits(cell, t_extra):
    """{(region, quantity): fit dict + 'extra': (D, err of ln D)} where >= 2 temperatures."""
    out = {}
    for region in REGION_NAMES:
        for q in FIT_QUANTITIES:
            pts = [(T, r[region][q][0], r[region][q][1]) for T, r, _ in cell["temps"] if region in r]
            try:
                f = diffusion.arrhenius(pts)
            except DiffusionError:
                continue
            f["extra"] = diffusion.extrapolate(f, t_extra)
            f["n_T"] = len([p for p in pts if p[1] > 0])
            out[(region, q)] = f
    return out


def _finite(e):
    return e if math.isfinite(e) else 0.0


def fmt_d(v, e):
    return "%.3g ± %.2g" % (v, e) if math.isfinite(e) else "%.3g" % v


def plot_arrhenius(cell, cfits, png):
    from openmtp._plotting import pyplot, save_png
    fig, ax = pyplot().subplots(figsize=(6, 4.5))
    styles = {"all": "o", "near": "s", "middle": "^"}
    colours = {"D_par": "tab:blue", "D_normal": "tab:red"}
    for region, marker in styles.items():
        for q, col in colours.items():
            # log axis: only D > 0; one block gives no error bar (nan -> 0)
            rows = [(T, (r[region][q][0], _finite(r[region][q][1]))) for T, r, _ in cell["temps"]
                    if region in r and r[region][q][0] > 0]
            if not rows:
                continue
            xs = [1000.0 / T for T, _ in rows]
            ax.errorbar(xs, [v for _, (v, _) in rows], yerr=[e for _, (_, e) in rows], fmt=marker,
                        color=col, mfc="none" if region == "middle" else col, capsize=3,
                        label="%s, %s" % (q.replace("D_", "D "), REGION_NAMES[region]))
            f = cfits.get((region, q))
            if f:
                x0, x1 = min(xs), max(xs)
                ax.plot([x0, x1], [f["D0"][0] * math.exp(-f["Ea"][0] * x / (1000.0 * diffusion.BOLTZMANN_EV_PER_K))
                                   for x in (x0, x1)], "--", color=col, lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("Li D (cm$^2$/s)")
    ax.set_title(cell["label"], fontsize=9)
    ax.legend(fontsize=6)
    fig.tight_layout()
    save_png(fig, png, "Arrhenius plot of Li D, %s" % cell["label"],
             "D_par (in the boundary plane) and D_normal by region; dashed: weighted Arrhenius fits")


def plot_isotropy(cells, png):
    from openmtp._plotting import pyplot, save_png
    fig, ax = pyplot().subplots(figsize=(6, 4.5))
    for k, cell in enumerate(cells):
        for region, fill in (("all", True), ("near", False)):
            pts = [(r[region]["eta"], r[region]["D_total"]) for _, r, _ in cell["temps"] if region in r]
            pts = [(e, d) for e, d in pts if d[0] > 0]
            if not pts:
                continue
            ax.errorbar([e[0] for e, _ in pts], [math.log10(d[0]) for _, d in pts],
                        xerr=[_finite(e[1]) for e, _ in pts],
                        yerr=[_finite(d[1]) / d[0] / math.log(10) for _, d in pts], fmt="o" if fill else "s",
                        color="C%d" % k, mfc=None if fill else "none", capsize=2,
                        label="%s (%s)" % (cell["label"], REGION_NAMES[region]))
    ax.axvline(1.0, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("isotropy parameter  eta = D_normal / D_par")
    ax.set_ylabel("log10 D_total (cm$^2$/s)")
    ax.legend(fontsize=6)
    fig.tight_layout()
    save_png(fig, png, "log D against the isotropy parameter",
             "one point per cell, region and temperature; eta < 1: slower across the boundary plane")


def boundary_table(path):
    if not os.path.exists(path):
        return ["No `results/boundaries.txt` (run `make boundaries` after `make gb`)."]
    with open(path) as f:
        lines = f.read().splitlines()
    cols = lines[0].split("\t")
    out = ["| boundary | atoms | gamma relaxed (J/m²) | valid | gamma unrelaxed (J/m²) | translation chosen by | guard wall (eV) | potential |",
           "|---|---|---|---|---|---|---|---|"]
    for line in lines[1:]:
        r = dict(zip(cols, line.split("\t")))
        valid = r["valid"] + ("" if r["valid"] != "no" else " (%s)" % r["why"])
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["label"], r["atoms"], r["gamma_relaxed_J_m2"], valid, r["gamma_unrelaxed_J_m2"],
            r["chosen_by"], r["wall_eV"], r["potential"]))
    return out


def report(results, outdir, t_extra):
    cells = load_cells(results)
    if not cells:
        raise DiffusionError("%s: no */cell.regions with T*.txt: run the MD and analysis first (make md)" % results)
    os.makedirs(outdir, exist_ok=True)
    md = ["# beta-Li3PS4 grain boundaries: Li diffusion parallel and normal to the boundary", "",
          "Generated by `make -C examples/li3ps4-gb report` (make_report.py) from `%s`; do not edit."
          % (os.path.relpath(results, HERE) if results.startswith(HERE + os.sep) else results), "",
          "Definitions (python/openmtp/region_diffusion.py): x, y in the boundary plane, z normal to it; "
          "D_par = (D_x + D_y)/2, D_normal = D_z; regions by the Li position at each time origin: "
          "'near' = within NEAR of either boundary plane (periodic), 'middle' = at least MIDDLE from both; "
          "isotropy parameter eta = D_normal / D_par. Errors: standard error over blocks (eta: jackknife); "
          "Arrhenius fits weighted by them; D(%g K) extrapolated with the fit covariance, given as "
          "D ×/÷ exp(σ_lnD)." % t_extra, "",
          "## Boundary energies", ""] + boundary_table(os.path.join(results, "boundaries.txt")) + [""]
    md += ["## MD runs", "", "| cell | kind | T (K) | blocks x ps | atoms | potential | ns/day (blocks) | launcher | NEAR / MIDDLE (A) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        for T, r, run in c["temps"]:
            s = r["settings"]
            md.append("| %s | %s | %g | %s x %s | %s | %s | %s | %s | %s / %s |" % (
                c["label"], c["kind"], T, s.get("n_blocks", "-"),
                s.get("block_ps", "-"), run.get("atoms", "-"), run.get("potential", "-"),
                run.get("ns_per_day", "-"), run.get("launcher", "-"), s.get("near_A", "-"), s.get("middle_A", "-")))
    md += ["", "## Diffusion coefficients (cm²/s)", ""]
    bulk = next((c for c in cells if c["kind"] == "bulk"), None)
    for c in cells:
        md += ["### %s" % c["label"], "",
               "| T (K) | region | Li per origin | D_x | D_y | D_normal (z) | D_par | D_total | eta | D_total / bulk |",
               "|---|---|---|---|---|---|---|---|---|---|"]
        for T, r, _ in c["temps"]:
            bulk_r = None
            if bulk is not None:
                bulk_r = next((br for bT, br, _ in bulk["temps"] if bT == T), None)
            for region in REGION_NAMES:
                if region not in r:
                    continue
                q = r[region]
                ratio = "-"
                if bulk_r is not None and bulk_r["all"]["D_total"][0] > 0:
                    ratio = "%.2f" % (q["D_total"][0] / bulk_r["all"]["D_total"][0])
                md.append("| %g | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |" % (
                    T, region, q["n_li"][0], fmt_d(*q["D_x"]), fmt_d(*q["D_y"]), fmt_d(*q["D_normal"]),
                    fmt_d(*q["D_par"]), fmt_d(*q["D_total"]), fmt_d(*q["eta"]), ratio))
        md.append("")
    md += ["## Arrhenius fits and extrapolation to %g K" % t_extra, "",
           "| cell | region | quantity | temperatures | Ea (eV) | D0 (cm²/s) | D(%g K) (cm²/s) | ×/÷ |" % t_extra,
           "|---|---|---|---|---|---|---|---|"]
    figs = []
    for c in cells:
        cf = fits(c, t_extra)
        for (region, q), f in cf.items():
            md.append("| %s | %s | %s | %d | %.3f ± %.3f | %.3g | %.3g | %.2f |" % (
                c["label"], region, q, f["n_T"], f["Ea"][0], f["Ea"][1], f["D0"][0], f["extra"][0],
                math.exp(f["extra"][1])))
        if c["temps"]:
            png = "arrhenius-%s.png" % c["name"]
            plot_arrhenius(c, cf, os.path.join(outdir, png))
            figs.append((c["label"], png))
    plot_isotropy(cells, os.path.join(outdir, "isotropy.png"))
    md += ["", "## Comparison with the published picture", "",
           "The reference study found, at 300 K, one boundary with Li diffusion slower normal to the "
           "plane than in it (eta < 1) and none at the amorphous/crystal interface. Here, per cell "
           "(whole cell, highest temperature; eta < 1 beyond 2 sigma means slower across):", ""]
    for c in cells:
        if not c["temps"]:
            continue
        T, r, _ = c["temps"][-1]
        e, de = r["all"]["eta"]
        verdict = ("slower normal to the plane" if e + 2 * de < 1 else
                   "faster normal to the plane" if e - 2 * de > 1 else "isotropic within 2 sigma")
        md.append("* %s, %g K: eta = %s: %s" % (c["label"], T, fmt_d(e, de), verdict))
    md += ["", "## Figures", "", "![log D against eta](isotropy.png)", ""]
    md += ["![%s](%s)" % (lab, png) for lab, png in figs]
    write_atomic(os.path.join(outdir, "README.md"), "\n".join(md) + "\n")
    return len(cells)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("-o", "--out", default=os.path.join(HERE, "report"))
    ap.add_argument("--T-extrapolate", type=float, default=300.0)
    a = ap.parse_args(argv)
    try:
        n = report(os.path.abspath(a.results), os.path.abspath(a.out), a.T_extrapolate)
    except DiffusionError as e:
        sys.stderr.write("make_report: %s\n" % e)
        return 1
    except Exception as e:  # PlotError and friends: say what, exit non-zero
        if type(e).__name__ in ("PlotError", "MatplotlibMissing"):
            sys.stderr.write("make_report: %s\n" % e)
            return 1
        raise
    print("make_report: %d cells -> %s" % (n, os.path.join(a.out, "README.md")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
