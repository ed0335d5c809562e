#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""physics.md (+ rdf.png, msd.png, arrhenius.png) of the physics Makefile:
every number is read from the run outputs in WORKDIR (nothing measured is
written into this script); literature values are quoted with their sources
below, each marked as verified or not.

  report.py --workdir=DIR --temps="500 600 ..." [--aimd-dir=DIR/aimd]
            [--timestep=0.001] [--skip=0.25] [--aimd-skip=50] [--lattice-t=300]
            [--rdf-t=600] [--cellopt=../cp2k/cellopt_steps.tsv] [--pot=FILE]

A missing input (run not done) is an error naming the file, exit 1; the CP2K
AIMD alone is optional (its rows say 'not run' when its trajectory is absent).
"""

import glob
import math
import os
import re
import sys

from openmtp import diffusion, lattice, rdf
from openmtp._textfile import write_atomic

PAIRS = ["Li-Li", "Li-P", "Li-S", "P-S", "S-S", "total"]

# Experimental and computed reference values.  'verified' = read in this
# session through the project's search tool (pages corpus) at the URL given;
# 'quoted' = taken from the project's own cp2k/README.md, whose author read the
# source (not re-checked here).
LATTICE_REFERENCES = [
    {"what": "experiment, beta-Li3PS4 (Homma et al., Solid State Ionics 182 (2011) 53, ICSD 180319), "
             "high-temperature measurement (637 K per cp2k/README.md)",
     "T": "637 K", "a": 12.8190, "b": 8.2195, "c": 6.1236,
     "status": "quoted from cp2k/README.md (OBELiX CIF nhq); not re-verified here"},
    {"what": "experiment, nanoporous beta-Li3PS4 at room temperature (Liu et al., J. Am. Chem. Soc. 135 (2013) 975)",
     "T": "RT", "a": 13.066, "b": 8.015, "c": 6.101,
     "status": "quoted from cp2k/README.md; not re-verified here"},
]
DIFFUSION_REFERENCES = [
    ("Experiment (impedance + 7Li NMR), beta-Li3PS4 from mechanochemical and solvent-assisted synthesis, "
     "Dalton Trans. 2025 (d4dt02636e)",
     "Ea 0.40 eV (long-range transport, conductivity); local NMR barriers down to 0.09 eV",
     "verified: https://rsc.66557.net/en/content/articlelanding/2025/dt/d4dt02636e (abstract)"),
    ("DFT MD of beta-Li3PS4 (de Klerk, van der Maas, Wagemaker, ACS Appl. Energy Mater. 1 (2018) 3230, "
     "doi 10.1021/acsaem.8b00457)",
     "jumps between bc planes (i.e. along a) limit the conductivity: D_x (a) expected smallest; "
     "numerical D and Ea not read",
     "verified (abstract only): https://www.ai-bt.com/si.php?db=pubmed&id=30057999"),
    ("Nanocrystalline beta-Li3PS4, NMR relaxation (Prutsch et al., Chem. Mater. 2018, "
     "doi 10.1021/acs.chemmater.8b02753)",
     "low-dimensional Li diffusion (title); numbers not read",
     "verified (title page): https://datapdf.com/nuclear-spin-relaxation-in-nanocrystalline-li-acs-publicatio.html"),
    ("Nanophase Li3PS4, PFG NMR (Gobet et al., Chem. Mater. 2014, doi 10.1021/cm5012058)",
     "Li self-diffusion measurable at 100 C, consistent with the high conductivity; numbers not read",
     "verified (abstract): https://bohrium.dp.tech/paper/arxiv/56d83287dabfae2eee2ba254"),
    ("Li3.25[Si0.25P0.75]S4, an entropically stabilised fast-ion conductor (single-crystal X-ray, powder "
     "neutron diffraction, impedance; Chem. Mater. 2019)",
     "1.22 mS/cm for Li3.25Si0.25P0.75S4, 'three orders of magnitude' above bulk beta-Li3PS4 and 'one order "
     "of magnitude' above the nanoporous form: bulk beta-Li3PS4 ~1e-6 S/cm and nanoporous ~1e-4 S/cm at room "
     "temperature (orders of magnitude, read off the abstract)",
     "verified (abstract): https://discovery.researcher.life/article/an-entropically-stabilized-fast-ion-"
     "conductor-li3-25-si0-25p0-75-s4/5ce90b48102d3182b8dc5b719426009b"),
    ("Nanoporous beta-Li3PS4 (Liu et al., J. Am. Chem. Soc. 135 (2013) 975)",
     "room-temperature conductivity and Ea: not found through the search tool, not quoted",
     "not verified"),
]


class ReportError(RuntimeError):
    pass


def need(path, what):
    if not os.path.exists(path):
        raise ReportError("%s: missing (%s); run `make report` (it makes what is missing)" % (path, what))
    return path


_LOOP = re.compile(r"^Loop time of ([0-9.eE+-]+) on (\d+) procs for (\d+) steps with (\d+) atoms")
_CPU = re.compile(r"^([0-9.]+)% CPU use with (\d+) MPI tasks")


def lammps_cost(logs):
    """(CPU us per atom per step, steps, atoms) over the runs of LAMMPS logs:
    'Loop time' (wall) x CPU use x ranks / (steps x atoms)."""
    cpu_s, atom_steps, atoms = 0.0, 0, 0
    for log in logs:
        lines = open(log).read().splitlines()
        for k, line in enumerate(lines):
            m = _LOOP.match(line)
            if not m:
                continue
            wall, ranks, steps, n = float(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))
            use = 100.0
            for nxt in lines[k + 1:k + 8]:
                c = _CPU.match(nxt)
                if c:
                    use = float(c.group(1))
                    break
            cpu_s += wall * ranks * use / 100.0
            atom_steps += steps * n
            atoms = n
    if not atom_steps:
        return None
    return cpu_s / atom_steps * 1e6, atom_steps, atoms


def read_cellopt(path):
    """Last row of cellopt_steps.tsv: (step, a, b, c, max gradient)."""
    rows = [l.split() for l in open(path) if l.strip() and not l.startswith("#")]
    rows = [r for r in rows if r[0].isdigit()]
    if not rows:
        raise ReportError("%s: no CELL_OPT steps" % path)
    r = rows[-1]
    return {"step": int(r[0]), "a": float(r[4]), "b": float(r[5]), "c": float(r[6]), "grad": float(r[3])}


def fmt_pm(m, e, digits=3):
    return "%.*f ± %.*f" % (digits, m, digits, e)


def lattice_section(lat, lat_t, cellopt, cost):
    out = ["## Lattice parameters (NPT, %g K, 0 bar)" % lat_t, ""]
    out.append("MTP: `lattice/lattice.txt`, %d samples (every 100 steps) in %d blocks; error = standard error of the "
               "block means. The ordered model's cell is the 32-atom Pnma cell (a, b, c = x, y, z)." %
               (lat["samples"], lat["blocks"]))
    out.append("")
    out.append("| source | T | a (Å) | b (Å) | c (Å) | V (Å^3) | MTP - source (a, b, c, V) | status |")
    out.append("|---|---|---|---|---|---|---|---|")
    a, b, c, V = (lat[k] for k in ("a", "b", "c", "V"))
    out.append("| **MTP (this run)** | %g K | %s | %s | %s | %.1f ± %.1f | | measured |"
               % (lat_t, fmt_pm(*a), fmt_pm(*b), fmt_pm(*c), V[0], V[1]))

    def diff(ref):
        rv = ref["a"] * ref["b"] * ref["c"]
        return "%+.2f %%, %+.2f %%, %+.2f %%, %+.2f %%" % tuple(
            100 * (m / r - 1) for m, r in ((a[0], ref["a"]), (b[0], ref["b"]), (c[0], ref["c"]), (V[0], rv)))
    if cellopt:
        out.append("| CP2K CELL_OPT (PBE, this project's settings; step %d, not converged, max gradient %.1e Ha/bohr) "
                   "| 0 K | %.3f | %.3f | %.3f | %.1f | %s | `cp2k/cellopt_steps.tsv` |"
                   % (cellopt["step"], cellopt["grad"], cellopt["a"], cellopt["b"], cellopt["c"],
                      cellopt["a"] * cellopt["b"] * cellopt["c"], diff(cellopt)))
    for ref in LATTICE_REFERENCES:
        out.append("| %s | %s | %.4f | %.4f | %.4f | %.1f | %s | %s |"
                   % (ref["what"], ref["T"], ref["a"], ref["b"], ref["c"], ref["a"] * ref["b"] * ref["c"],
                      diff(ref), ref["status"]))
    if cost:
        out.append("")
        out.append("Cost of the NPT run: %.2f CPU µs/atom/step (%d atoms; `lattice/lattice.log`)." % (cost[0], cost[2]))
    return out


def rdf_numbers(mtp, ref, halves=None):
    """Rows per pair: first peak of each, coordination to the reference's first
    minimum (the MTP's when there is no reference), integrated |difference|; with
    halves (the reference's two halves), their integrated |difference| too."""
    rows = []
    base = ref if ref else mtp
    for p in PAIRS:
        if p not in mtp["g"]:
            raise ReportError("rdf-mtp.txt: no pair %s" % p)
        r = mtp["r"]
        pm, hm = rdf.first_peak(r, mtp["g"][p])
        rc = rdf.first_minimum(base["r"], base["g"][p])
        row = {"pair": p, "mtp_peak": (pm, hm), "rc": rc, "mtp_cn": rdf.cn_at(mtp, p, rc) if math.isfinite(rc) else float("nan")}
        if ref:
            if p not in ref["g"] or len(ref["r"]) != len(r) or abs(ref["r"][1] - r[1]) > 1e-6:
                raise ReportError("rdf-aimd.txt and rdf-mtp.txt: different pairs or r grids")
            row["ref_peak"] = rdf.first_peak(ref["r"], ref["g"][p])
            row["ref_cn"] = rdf.cn_at(ref, p, rc) if math.isfinite(rc) else float("nan")
            row["absdiff"] = rdf.integrated_abs_difference(r, mtp["g"][p], ref["g"][p])
            if halves:
                a, b = halves
                if any(p not in h["g"] or len(h["r"]) != len(r) for h in halves):
                    raise ReportError("rdf-aimd-half1.txt, rdf-aimd-half2.txt: different pairs or r grids")
                row["halves_absdiff"] = rdf.integrated_abs_difference(r, a["g"][p], b["g"][p])
        rows.append(row)
    return rows


def plot_rdf(mtp, ref, png, rdf_t):
    from openmtp._plotting import pyplot, save_png
    fig, axes = pyplot().subplots(2, 3, figsize=(12, 6.5), sharex=True)
    for ax, p in zip(axes.flat, PAIRS):
        ax.plot(mtp["r"], mtp["g"][p], "b-", lw=1.2, label="MTP-MD")
        if ref:
            ax.plot(ref["r"], ref["g"][p], "r--", lw=1.2, label="CP2K AIMD")
        ax.set_title("g(r) " + p)
        ax.axhline(1.0, color="0.7", lw=0.5)
    for ax in axes[1]:
        ax.set_xlabel("r (Å)")
    axes[0][0].legend()
    fig.suptitle("beta-Li3PS4, %g K, 32-atom cell" % rdf_t)
    fig.tight_layout()
    save_png(fig, png, "partial RDFs, MTP-MD%s" % (" vs CP2K AIMD" if ref else ""),
             "\n".join("%s first peak MTP %.3f A" % (p, rdf.first_peak(mtp["r"], mtp["g"][p])[0]) for p in PAIRS))


HARTREE_MEV = 27211.386245988


def aimd_summary(ener, traj, skip):
    """What the CP2K AIMD cost and how it behaved, from the driver's aimd-ener.txt (CP2K's
    .ener rows: step, time fs, kinetic Ha, T K, potential Ha, conserved Ha, used s): None
    when there is none."""
    if not os.path.exists(ener):
        return None
    rows = []
    for k, line in enumerate(open(ener), 1):
        if line.startswith("#") or not line.strip():
            continue
        t = line.split()
        try:
            rows.append([float(x) for x in t[:7]])
        except ValueError:
            raise ReportError("%s:%d: expected 'step time kin temp pot conserved used'" % (ener, k))
        if len(t) < 7:
            raise ReportError("%s:%d: expected 7 columns, found %d" % (ener, k, len(t)))
    if not rows:
        return None
    natoms = None
    if os.path.exists(traj):
        with open(traj) as f:
            first = f.readline().split()
        natoms = int(first[0]) if first and first[0].isdigit() else None
    used = [r[6] for r in rows if r[0] > 0]
    hot = [r for r in rows if r[0] > skip]
    res = {"steps": int(rows[-1][0]), "time_ps": rows[-1][1] / 1000.0, "wall_h": sum(used) / 3600.0,
           "s_per_step": sum(used) / len(used) if used else float("nan"), "natoms": natoms}
    if len(hot) >= 2:
        temps = [r[3] for r in hot]
        mean = sum(temps) / len(temps)
        res["temp"] = (mean, (sum((x - mean) ** 2 for x in temps) / (len(temps) - 1)) ** 0.5)
        if natoms:
            # conserved quantity: linear drift in meV/atom/ps over the sampled part
            xs = [r[1] / 1000.0 for r in hot]
            ys = [r[5] * HARTREE_MEV / natoms for r in hot]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            sxx = sum((x - mx) ** 2 for x in xs)
            res["drift"] = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else float("nan")
    return res


AIMD_WINDOW = 100  # steps per window of the signed energy error along the AIMD


def aimd_errors(rdf_dir, traj):
    """The potential on the AIMD frames, from the physics Makefile's
    rdf/aimd-errors.txt (check_errors report), aimd-parity.tsv (its values)
    and aimd-graded.cfg; None when there is no AIMD with forces (TRAJ, the
    positions beside them) or no report yet.  A report of another number of
    frames than TRAJ holds is stale: an error."""
    report = os.path.join(rdf_dir, "aimd-errors.txt")
    forces = os.path.join(os.path.dirname(traj), "aimd-frc.xyz")
    if not os.path.exists(report) or not os.path.exists(traj) or not os.path.exists(forces):
        return None
    res = {}
    for line in open(report):
        m = re.match(r"\s*(Energy per atom|Forces)\s+MAE\s+(\S+)\s+RMSE\s+(\S+)\s+\S+\s+\((\d+) ", line)
        if m:
            res["E" if m.group(1) == "Energy per atom" else "F"] = (float(m.group(2)), float(m.group(3)), int(m.group(4)))
    if "E" not in res or "F" not in res:
        raise ReportError("%s: expected the component-wise MAE / RMSE lines of mtp check_errors" % report)
    parity = need(os.path.join(rdf_dir, "aimd-parity.tsv"), "check_errors values on the AIMD frames")
    energy, force_by_type = {}, {}
    with open(parity) as f:
        for no, line in enumerate(f, 1):
            w = line.rstrip("\n").split("\t")
            if line.startswith("#") or w[0] == "quantity":
                continue
            try:
                if w[0] == "energy_per_atom":
                    energy[int(w[1])] = float(w[7])
                elif w[0] == "force":
                    force_by_type.setdefault(int(w[3]), []).append(abs(float(w[7])))
            except (IndexError, ValueError):
                raise ReportError("%s:%d: expected quantity, cfg, atom, type, component, reference, predicted, "
                                  "difference" % (parity, no))
    if len(energy) != res["E"][2]:
        raise ReportError("%s: %d energies, the report %d" % (parity, len(energy), res["E"][2]))
    frames = sum(1 for l in open(traj) if "i =" in l)
    if frames != res["E"][2]:
        raise ReportError("%s: %d frames, %s %d: stale (make rdf remakes it)" % (traj, frames, report, res["E"][2]))
    diffs = [energy[k] * 1000 for k in sorted(energy)]  # predicted - reference, meV/atom; cfg k = step k - 1
    res["windows"] = [(k, min(k + AIMD_WINDOW, len(diffs)) - 1, sum(diffs[k:k + AIMD_WINDOW]) / len(diffs[k:k + AIMD_WINDOW]))
                      for k in range(0, len(diffs), AIMD_WINDOW)]
    res["by_type"] = {t: sum(v) / len(v) for t, v in force_by_type.items()}
    graded = need(os.path.join(rdf_dir, "aimd-graded.cfg"), "grades of the AIMD frames")
    grades = [float(l.split()[2]) for l in open(graded) if l.split()[:2] == ["Feature", "MV_grade"]]
    if len(grades) != len(diffs):
        raise ReportError("%s: %d grades for %d frames" % (graded, len(grades), len(diffs)))
    res["grade"] = max(grades)
    return res


def aimd_errors_lines(err):
    names = {0: "Li", 1: "P", 2: "S"}
    by_type = ", ".join("%s %.3f" % (names.get(t, "type %d" % t), v) for t, v in sorted(err["by_type"].items()))
    lines = ["", "**The MTP on the AIMD frames** (`rdf/aimd-errors.txt`, `mtp check_errors`): CP2K energies and "
             "forces along DFT dynamics, none of them offered to the selection; %d frames (every step from the "
             "MTP-equilibrated start), largest extrapolation grade %.2f. Energy MAE %.2f / RMSE %.2f meV/atom, "
             "force MAE %.4f / RMSE %.4f eV/Å (component-wise; MAE per species: %s)."
             % (err["E"][2], err["grade"], err["E"][0], err["E"][1], err["F"][0], err["F"][1], by_type)]
    lines.append("Mean energy error (MTP − CP2K) per %d steps: %s meV/atom." % (
        AIMD_WINDOW, ", ".join("steps %d-%d %+.2f" % w for w in err["windows"])))
    return lines


def rdf_section(mtp, ref, ref_info, rdf_t, cost, aimd_run=None, aimd_err=None, halves=None):
    out = ["## Radial distribution functions (NVT, %g K)" % rdf_t, ""]
    out.append("MTP-MD: `rdf/rdf-mtp.txt`, %d frames of the 32-atom cell (the AIMD cell)." % mtp["frames"])
    if ref:
        out.append("CP2K AIMD: `rdf/rdf-aimd.txt`, %d frames (%s)." % (ref["frames"], ref_info))
    else:
        out.append("CP2K AIMD: **not compared yet** (%s); only the MTP side is shown." % ref_info)
    if aimd_run:
        line = ("CP2K AIMD so far: %d steps = %.3f ps, %.1f h of wall time (%.0f s per step, CP2K's "
                "UsedTime in `aimd-ener.txt`)" % (aimd_run["steps"], aimd_run["time_ps"], aimd_run["wall_h"],
                                                  aimd_run["s_per_step"]))
        if "temp" in aimd_run:
            line += "; after the equilibration steps T = %.0f ± %.0f K (mean ± std of the steps)" % aimd_run["temp"]
        if "drift" in aimd_run:
            line += ", conserved-quantity drift %.3f meV/atom/ps" % aimd_run["drift"]
        out.append("")
        out.append(line + ".")
    if aimd_err:
        out += aimd_errors_lines(aimd_err)
    out.append("")
    rows = rdf_numbers(mtp, ref, halves)
    if ref:
        if halves:
            out.append("The last column is the AIMD's own noise: the same integral between the RDFs of the first "
                       "and second half of its frames (`rdf/rdf-aimd-half1.txt`, `-half2.txt`, %d frames each); "
                       "the noise of the whole AIMD's RDF is about half of it (two independent halves), the "
                       "MTP side (%d frames) is much smoother." % (halves[0]["frames"], mtp["frames"]))
            out.append("")
        out.append("| pair | first peak MTP: r (Å), g | first peak AIMD: r (Å), g | r_c (Å, AIMD first min.) | CN MTP | CN AIMD | ∫\\|g_MTP - g_AIMD\\| dr (Å) |"
                   + (" ∫\\|g_AIMD,1 - g_AIMD,2\\| dr (Å) |" if halves else ""))
        out.append("|---|---|---|---|---|---|---|" + ("---|" if halves else ""))
        for w in rows:
            out.append("| %s | %.2f, %.2f | %.2f, %.2f | %.2f | %.2f | %.2f | %.3f |"
                       % (w["pair"], w["mtp_peak"][0], w["mtp_peak"][1], w["ref_peak"][0], w["ref_peak"][1],
                          w["rc"], w["mtp_cn"], w["ref_cn"], w["absdiff"])
                       + (" %.3f |" % w["halves_absdiff"] if halves else ""))
    else:
        out.append("| pair | first peak MTP: r (Å), g | r_c (Å, first min.) | CN MTP |")
        out.append("|---|---|---|---|")
        for w in rows:
            out.append("| %s | %.2f, %.2f | %.2f | %.2f |" % (w["pair"], w["mtp_peak"][0], w["mtp_peak"][1], w["rc"], w["mtp_cn"]))
    out += ["", "![RDF](rdf.png)"]
    if cost:
        out += ["", "Cost of the MTP RDF run: %.2f CPU µs/atom/step (%d atoms; `rdf/rdf.log`)." % (cost[0], cost[2])]
    return out


def diffusion_section(work, temps, timestep, skip, png_msd, png_arr):
    ddir = os.path.join(work, "diffusion")
    results = []
    for T in temps:
        tdir = os.path.join(ddir, "T%g" % T)
        files = sorted(glob.glob(os.path.join(tdir, "block-*.msd")))
        if not files:
            raise ReportError("%s: no block-*.msd (diffusion at %g K not run)" % (tdir, T))
        results.append((T, diffusion.analyse(files, timestep, skip), files))
    out = ["## Li diffusion (NVT, %d temperatures)" % len(temps), ""]
    r0 = results[0][1]
    cost = lammps_cost(sorted(glob.glob(os.path.join(ddir, "T*", "*.log"))))
    natoms = cost[2] if cost else 0
    out.append("`diffusion/T<T>/block-NNN.msd` (the md Makefile): %d blocks of %g ps per temperature, %d atoms; "
               "D from the slope of each block's MSD over its last %d %% (x, y, z = a, b, c), mean ± standard "
               "error over blocks." % (r0["n_blocks"], r0["block_ps"], natoms, round(100 * (1 - skip))))
    out.append("")
    out.append("| T (K) | D_x (cm²/s) | D_y (cm²/s) | D_z (cm²/s) | D (cm²/s) |")
    out.append("|---|---|---|---|---|")
    for T, r, _ in results:
        out.append("| %g | " % T + " | ".join("%.3e ± %.1e" % r["D"][k] for k in diffusion.DIRECTIONS) + " |")
    out.append("")
    fits = {}
    pts = {k: [(T, r["D"][k][0], r["D"][k][1]) for T, r, _ in results] for k in diffusion.DIRECTIONS}
    out.append("| Arrhenius fit (weighted, ln D vs 1/kT) | Ea (eV) | D0 (cm²/s) |")
    out.append("|---|---|---|")
    for k in diffusion.DIRECTIONS:
        try:
            fits[k] = diffusion.arrhenius(pts[k])
            out.append("| D_%s | %.3f ± %.3f | %.2e |" % (k, fits[k]["Ea"][0], fits[k]["Ea"][1], fits[k]["D0"][0]))
        except diffusion.DiffusionError as e:
            out.append("| D_%s | no fit: %s | |" % (k, e))
    _plot_msd(results, timestep, png_msd)
    if "total" in fits:
        diffusion.plot_arrhenius([(T, r) for T, r, _ in results], fits["total"], png_arr)
    out += ["", "![MSD](msd.png) ![Arrhenius](arrhenius.png)"]
    if cost:
        out += ["", "Cost of the diffusion runs: %.2f CPU µs/atom/step (%d atoms, all `diffusion/T*/*.log`)."
                % (cost[0], cost[2])]
    return out, fits, results


def _plot_msd(results, timestep, png):
    from openmtp._plotting import pyplot, save_png
    fig, axes = pyplot().subplots(1, 3, figsize=(12, 3.8), sharey=True)
    for T, _, files in results:
        rows = [diffusion.read_msd(f) for f in files]
        n = min(len(r) for r in rows)
        t = [(rows[0][i][0] - rows[0][0][0]) * timestep for i in range(n)]
        for j, ax in enumerate(axes):
            ax.plot(t, [sum(r[i][1 + j] for r in rows) / len(rows) for i in range(n)], label="%g K" % T)
    for ax, d in zip(axes, "xyz"):
        ax.set_title("Li <d%s²> (block mean)" % d)
        ax.set_xlabel("t (ps)")
    axes[0].set_ylabel("Å²")
    axes[0].legend()
    fig.tight_layout()
    save_png(fig, png, "Li MSD per direction", "temperatures %s K" % " ".join("%g" % T for T, _, _ in results))


ELEMENTARY_CHARGE = 1.602176634e-19   # C
BOLTZMANN_J = 1.380649e-23            # J/K
LI_PER_CELL = 12                      # Li12P4S16, the 32-atom Pnma cell


def extrapolation_lines(fits, volume, T=300.0):
    """D(T) per direction from the Arrhenius fits (multiplicative error from the fit's
    covariance) and the Nernst-Einstein conductivity sigma = n e^2 D / (kB T) with Haven
    ratio 1 and n = Li per cell / the MTP's NPT volume at 300 K."""
    out = []
    parts = []
    for k, f in fits.items():
        D, lnerr = diffusion.extrapolate(f, T)
        parts.append("D_%s %.2g cm²/s (×/÷ %.2f)" % (k, D, math.exp(lnerr)))
    out.append("Extrapolated to %g K with the fits above: %s (×/÷: the fit's statistical error only; a "
               "change of slope below the lowest temperature is not in it)." % (T, "; ".join(parts)))
    if "total" in fits and volume:
        D, lnerr = diffusion.extrapolate(fits["total"], T)
        n = LI_PER_CELL / (volume * 1e-24)  # Li per cm^3
        sigma = n * ELEMENTARY_CHARGE ** 2 * D / (BOLTZMANN_J * T)  # S/cm
        out.append("Nernst-Einstein with Haven ratio 1 (n = %d Li per %.1f Å^3, the MTP's 300 K cell): "
                   "σ(%g K) ≈ %.2g S/cm (×/÷ %.2f), against ~1e-6 S/cm for bulk and ~1e-4 S/cm for nanoporous "
                   "beta-Li3PS4 (table below): the perfect ordered crystal of this model conducts far better "
                   "than the real, partially occupied phase, in line with its lower Ea."
                   % (LI_PER_CELL, volume, T, sigma, math.exp(lnerr)))
    return out


def literature_section(fits, results, volume=None):
    out = ["## Against published values", ""]
    out.append("This MTP: " + "; ".join("Ea(D_%s) = %.3f ± %.3f eV" % (k, f["Ea"][0], f["Ea"][1])
                                        for k, f in fits.items()) + ".")
    if len(results) >= 2:
        out += extrapolation_lines(fits, volume)
    out.append("Slowest direction per temperature (for the bc-plane claim below): " +
               ", ".join("%g K: %s" % (T, min("xyz", key=lambda d: r["D"][d][0])) for T, r in results) + ".")
    out.append("")
    out.append("| source | published | status of the published value |")
    out.append("|---|---|---|")
    for src, val, status in DIFFUSION_REFERENCES:
        out.append("| %s | %s | %s |" % (src, val, status))
    out.append("")
    out.append("Caveats: the MTP describes the ordered model (Li on 8d + 4b, no vacancies or interstitials); "
               "experiments measure partially occupied, often nanoporous samples and conductivity (with grain "
               "boundaries and the Haven ratio), so Ea from tracer D of a perfect crystal is expected to differ.")
    return out


def main(argv):
    opts = {"workdir": None, "temps": None, "aimd-dir": None, "timestep": "0.001", "skip": "0.25",
            "aimd-skip": "50", "lattice-t": "300", "rdf-t": "600", "cellopt": "", "pot": ""}
    for a in argv:
        k, _, v = a[2:].partition("=")
        if not a.startswith("--") or k not in opts:
            sys.stderr.write("report.py: unknown argument '%s'\n" % a)
            return 2
        opts[k] = v
    if not opts["workdir"] or not opts["temps"]:
        sys.stderr.write("report.py: --workdir and --temps are required\n")
        return 2
    work = opts["workdir"]
    aimd_dir = opts["aimd-dir"] or os.path.join(work, "aimd")
    temps = [float(t) for t in opts["temps"].split()]
    timestep, skip = float(opts["timestep"]), float(opts["skip"])
    try:
        lat = lattice.read_result(need(os.path.join(work, "lattice", "lattice.txt"), "NPT lattice"))
        lat_cost = lammps_cost([need(os.path.join(work, "lattice", "lattice.log"), "NPT log")])
        mtp = rdf.read_table(need(os.path.join(work, "rdf", "rdf-mtp.txt"), "MTP RDF"))
        rdf_cost = lammps_cost([need(os.path.join(work, "rdf", "rdf.log"), "RDF MD log")])
        traj = os.path.join(aimd_dir, "aimd-pos.xyz")
        ref, ref_info = None, "no %s" % traj
        aimd_skip = int(opts["aimd-skip"])
        if os.path.exists(traj):
            nsteps = sum(1 for l in open(traj) if "i =" in l)
            if nsteps > aimd_skip:
                ref = rdf.read_table(need(os.path.join(work, "rdf", "rdf-aimd.txt"), "AIMD RDF (make rdf)"))
                ref_info = "%s: %d frames, the first %d left out as equilibration" % (traj, nsteps, aimd_skip)
            else:
                ref_info = "%s holds %d frames so far, not more than the %d left out as equilibration" % (
                    traj, nsteps, aimd_skip)
        aimd_run = aimd_summary(os.path.join(aimd_dir, "aimd-ener.txt"), traj, aimd_skip)
        cellopt = read_cellopt(opts["cellopt"]) if opts["cellopt"] else None
        text = ["# beta-Li3PS4: physics checks of the MTP", ""]
        text.append("Potential: `%s`. Written by `examples/li3ps4-beta/physics/report.py` from the run outputs in "
                    "`%s`; every MD number here is measured with `pair_style mtp` (lmp_mtp)." % (opts["pot"], work))
        text.append("")
        text += lattice_section(lat, float(opts["lattice-t"]), cellopt, lat_cost)
        text.append("")
        halves = None
        if ref and os.path.exists(os.path.join(work, "rdf", "rdf-aimd-half2.txt")):
            halves = [rdf.read_table(need(os.path.join(work, "rdf", "rdf-aimd-half%d.txt" % k), "AIMD half RDF"))
                      for k in (1, 2)]
        text += rdf_section(mtp, ref, ref_info, float(opts["rdf-t"]), rdf_cost, aimd_run,
                            aimd_errors(os.path.join(work, "rdf"), traj), halves)
        plot_rdf(mtp, ref, os.path.join(work, "rdf.png"), float(opts["rdf-t"]))
        text.append("")
        dsec, fits, dres = diffusion_section(work, temps, timestep, skip, os.path.join(work, "msd.png"),
                                          os.path.join(work, "arrhenius.png"))
        text += dsec
        text.append("")
        text += literature_section(fits, [(T, r) for T, r, _ in dres], lat["V"][0])
    except (ReportError, rdf.RdfError, lattice.LatticeError, diffusion.DiffusionError, OSError) as e:
        sys.stderr.write("report.py: %s\n" % e)
        return 1
    out = os.path.join(work, "physics.md")
    write_atomic(out, "\n".join(text) + "\n")
    print("wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
