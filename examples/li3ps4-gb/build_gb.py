#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build a periodic beta-Li3PS4 bicrystal (two boundaries) from a CSL rotation, optionally
choosing the rigid-body translation by minimising the boundary energy with an MTP.

  build_gb.py --axis 0 0 1 --sigma 5 --plane 1 2 0 [--pot POT] [-o OUTDIR] [--name NAME]
  build_gb.py --all [--pot POT] [-o OUTDIR]          # the six boundaries of issue 13 + table

Writes NAME.lmp (LAMMPS data, types 1 Li 2 P 3 S, masses), NAME.cfg (MLIP, types 0 Li 1 P 2 S,
Feature lines) and NAME.json (geometry, strain, orientations, per-atom grain); with --pot also
NAME-relaxed.lmp/.cfg, the minimised oriented bulk supercell NAME-bulk-relaxed.cfg (the
reference of e_bulk) and the translation search in NAME.json.  See README.md for the axis
convention, the strain and the overlap rule (li3ps4_gb/bicrystal.py docstring)."""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from li3ps4_gb import bicrystal, cellio, crystal, lammps, search  # noqa: E402
from li3ps4_gb.boundaries import SIX  # noqa: E402


def thresholds_of(bic, factor):
    t = {"%s-%s" % k: factor * v for k, v in bic.dmin.items()}
    t["any"] = 1.6
    return t


def character(bic):
    n = bic.Q @ bic.n_crys
    c = abs(float(np.dot(n, bic.axis_box)))
    return "twist" if c > 1 - 1e-6 else "tilt" if c < 1e-6 else "mixed (axis-normal angle %.1f deg)" % math.degrees(math.acos(c))


def features(bic, c, extra):
    u, v, gap = c["meta"]["translation"]
    f = [("gb_convention", "axis/plane in the Pnma cell a>b>c of the strained model; box x || A, z || normal; grain1 z<L/2 (M1), grain2 = R(axis_box,angle) grain1"),
         ("gb_axis", "[%s]" % " ".join(map(str, bic.axis))),
         ("gb_sigma", str(bic.sigma)), ("gb_angle_deg", "%.6f" % bic.angle),
         ("gb_plane_grain1", "(%s)" % " ".join(map(str, bic.plane1))),
         ("gb_plane_grain2", "(%s)" % " ".join(map(str, bic.plane2))),
         ("gb_character", character(bic)),
         ("gb_ratio_c2_b2_a2", ":".join("None" if x is None else str(x) for x in bic.ratio)),
         ("gb_strain_abc_percent", " ".join("%+.3f" % (100 * e) for e in bic.strain)),
         ("gb_axis_box", " ".join("%.8f" % x for x in bic.axis_box)),
         ("gb_translation_uv_gap", "%.4f %.4f %.4f" % (u, v, gap)),
         ("gb_area_A2", "%.4f" % bic.area()),
         ("gb_removed", " ".join("%s=%d" % kv for kv in c["meta"]["removed"].items()))]
    return f + extra


def write_outputs(prefix, bic, c, extra_features=(), meta_extra=None):
    cell = cellio.to_lammps_frame({"cell": c["cell"], "types": c["types"], "pos": c["pos"]})
    cell["features"] = features(bic, c, list(extra_features))
    cellio.write_lammps_data(prefix + ".lmp", cell)
    cellio.write_cfg(prefix + ".cfg", cell)
    return cell


def describe(bic):
    return {"axis": bic.axis, "plane": bic.plane, "sigma": bic.sigma, "angle_deg": bic.angle,
            "ratio_c2_b2_a2": list(bic.ratio), "strain_abc": [float(x) for x in bic.strain],
            "lattice_strained_abc": list(bic.crys.lattice.abc),
            "plane_grain1": bic.plane1, "plane_grain2": bic.plane2, "character": character(bic),
            "M1": bic.Q.tolist(), "axis_box": bic.axis_box.tolist(),
            "rotation_of_grain2_axis_box": bic.rot_axis_box.tolist(),
            "rotation_of_grain2_angle_deg": bic.rot_angle,
            "A": bic.A.tolist(), "B": bic.B.tolist(), "period_normal_A": bic.d,
            "grain_periods": bic.expand, "grain_thickness_A": bic.expand * bic.d,
            "area_A2": bic.area(), "transformation_grain1": bic.t1.tolist(),
            "transformation_grain2": bic.t2.tolist(), "bulk_min_distances": {
                "%s-%s" % k: v for k, v in bic.dmin.items()}}


def build_one(args, name, axis, sigma, plane, label=None, log=print):
    t0 = time.time()
    model = crystal.load_model(args.model)
    bic0 = bicrystal.Bicrystal(model, axis, plane, sigma=sigma, angle=args.angle,
                               ratio=args.ratio, expand=1, max_strain=args.max_strain)
    expand = max(1, math.ceil(args.thickness / bic0.d - 1e-9))
    bic = bicrystal.Bicrystal(model, axis, plane, sigma=bic0.sigma, angle=bic0.angle,
                              ratio=bic0.ratio, expand=expand)
    log("%s: axis [%s] Sigma %s angle %.4f deg plane (%s) | grain 2 plane (%s), %s"
        % (name, " ".join(map(str, axis)), bic.sigma, bic.angle, " ".join(map(str, bic.plane1)),
           " ".join(map(str, bic.plane2)), character(bic)))
    log("  rational ratio c2:b2:a2 = %s -> strain a %+.3f %%, b %+.3f %%, c %+.3f %% "
        "(volume kept; both grains; bulk reference at the same strain)"
        % (":".join("None" if x is None else str(x) for x in bic.ratio), *(100 * bic.strain)))
    log("  in-plane |A| %.3f |B| %.3f A (angle %.2f), area %.2f A2, grain thickness %d x %.3f = %.3f A"
        % (np.linalg.norm(bic.A), np.linalg.norm(bic.B),
           math.degrees(math.acos(np.dot(bic.A, bic.B) / np.linalg.norm(bic.A) / np.linalg.norm(bic.B))),
           bic.area(), expand, bic.d, expand * bic.d))
    thr = thresholds_of(bic, args.clash_factor)
    meta = {"name": name, "label": label, "geometry": describe(bic),
            "model": os.path.abspath(args.model), "clash_factor": args.clash_factor,
            "min_distance_rule": thr}
    prefix = os.path.join(args.out, name)
    if args.pot:
        res = search.search(bic, args.pot, grid=args.grid, gaps=args.gaps, lmp=args.lmp,
                            relax_normal=not args.no_relax_normal,
                            clash_factor=args.clash_factor, log=log, thresholds=thr)
        meta["search"] = {k: res[k] for k in ("e_bulk", "candidates", "best")}
        meta["potential"] = os.path.abspath(args.pot)
        c = res["cell"]
        # the oriented bulk supercell as minimised for e_bulk: DFT on it and on NAME-relaxed
        # gives the DFT boundary energy at the MTP's geometry (gamma_dft.py)
        cellio.write_cfg(prefix + "-bulk-relaxed.cfg", dict(res["bulk_relaxed"], features=[
            ("gb_bulk_reference_of", name), ("gb_relaxed_with", os.path.basename(args.pot)),
            ("gb_e_bulk_eV_per_atom", "%.9f" % res["e_bulk"])]))
        meta.update(chosen_by=res["chosen_by"], gamma_unrelaxed_J_m2=res["gamma_static"],
                    valid=res["valid"], why=res.get("why", ""), gamma_J_m2=res.get("gamma"))
        if "relaxed" in res:
            meta.update(relaxed_lz=res["lz"], wall_eV=res["wall"])
            rel_cell = dict(res["relaxed"], features=features(bic, c, [
                ("gb_relaxed_with", os.path.basename(args.pot)),
                ("gb_energy_J_m2", "%.4f" % res["gamma"]),
                ("gb_relaxation_valid", "yes" if res["valid"] else "NO: " + res["why"])]))
            cellio.write_lammps_data(prefix + "-relaxed.lmp", rel_cell)
            cellio.write_cfg(prefix + "-relaxed.cfg", rel_cell)
    else:
        c = bic.cell(args.u, args.v, args.gap, clash_factor=args.clash_factor)
    extra = []
    if args.pot:
        extra = [("gb_potential", os.path.basename(args.pot)),
                 ("gb_translation_chosen_by", meta["chosen_by"]),
                 ("gb_energy_unrelaxed_J_m2", "%.4f" % meta["gamma_unrelaxed_J_m2"])]
        if meta.get("gamma_J_m2") is not None:
            extra.append(("gb_energy_relaxed_J_m2", "%.4f%s" % (
                meta["gamma_J_m2"], "" if meta["valid"] else " (INVALID: %s)" % meta["why"])))
    cell = write_outputs(prefix, bic, c, extra)
    meta.update(atoms=int(len(cell["types"])), cell_lammps=cell["cell"].tolist(),
                M1_lammps=(cell["rotation"] @ bic.Q).tolist(),
                axis_box_lammps=(cell["rotation"] @ bic.axis_box).tolist(),
                grain=c["meta"]["grain"].tolist(), boundary_z=c["meta"]["boundary_z"],
                removed=c["meta"]["removed"], translation=c["meta"]["translation"])
    problems = checks_on_written(prefix, meta)
    meta["self_check"] = problems
    if args.pot:
        meta["max_grade_unrelaxed"] = lammps.max_grade(prefix + ".cfg", args.pot)
        log("  extrapolation grade of the written (unrelaxed) cell: %s" % meta["max_grade_unrelaxed"])
    with open(prefix + ".json.tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(prefix + ".json.tmp", prefix + ".json")
    n = np.bincount(cell["types"], minlength=3)
    log("  wrote %s.{lmp,cfg,json}: %d atoms (Li%d P%d S%d), removed %s, %.1f s"
        % (prefix, len(cell["types"]), *n, c["meta"]["removed"], time.time() - t0))
    if problems:
        log("  SELF-CHECK FAILED: " + "; ".join(problems[:3]))
    return meta


def checks_on_written(prefix, meta):
    """The checks of check_cell.py on the files just written (same code the tests run)."""
    from check_cell import check
    return check(prefix + ".json", meta=meta)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--axis", type=int, nargs=3)
    p.add_argument("--sigma", type=int)
    p.add_argument("--angle", type=float, help="rotation angle in degrees (default: the smaller "
                   "angle of the Sigma's pair)")
    p.add_argument("--plane", type=int, nargs=3)
    p.add_argument("--ratio", nargs=3, help="c2 b2 a2 integers, None for an axis that does not "
                   "enter (default: the smallest-strain ratio with the Sigma)")
    p.add_argument("--all", action="store_true", help="the six boundaries of issue 13")
    p.add_argument("--only", nargs="*", help="with --all: names to build")
    p.add_argument("--model", default=crystal.DEFAULT_MODEL)
    p.add_argument("--thickness", type=float, default=12.0,
                   help="minimum grain thickness normal to the plane (A), default 12")
    p.add_argument("--max-strain", type=float, default=0.06)
    p.add_argument("--clash-factor", type=float, default=0.75)
    p.add_argument("--u", type=float, default=0.0)
    p.add_argument("--v", type=float, default=0.0)
    p.add_argument("--gap", type=float, default=0.0)
    p.add_argument("--pot", help="potential (.almtp/.mtp) for the translation search")
    p.add_argument("--lmp", help="lmp_mtp executable (default build/bin/lmp_mtp or $LMP_MTP)")
    p.add_argument("--grid", type=int, nargs=2, default=(2, 2))
    p.add_argument("--gaps", type=float, nargs="+", default=(0.0, 1.0))
    p.add_argument("--no-relax-normal", action="store_true")
    p.add_argument("--name")
    p.add_argument("-o", "--out", default=".")
    a = p.parse_args(argv)
    if a.ratio is not None:
        a.ratio = tuple(None if x.lower() == "none" else int(x) for x in a.ratio)
    os.makedirs(a.out, exist_ok=True)
    if a.all:
        metas = [build_one(a, n, ax, s, pl, label)
                 for n, ax, s, pl, label in SIX if not a.only or n in a.only]
        write_table(os.path.join(a.out, "table.md"), metas)
        bad = [m["name"] for m in metas if m["self_check"]]
    else:
        if not (a.axis and a.plane and (a.sigma or a.angle)):
            p.error("give --axis, --plane and --sigma or --angle (or --all)")
        name = a.name or "gb-%s-S%s-%s" % ("".join(map(str, a.axis)), a.sigma or "x",
                                           "".join(map(str, a.plane)).replace("-", "m"))
        m = build_one(a, name, a.axis, a.sigma, a.plane)
        bad = [name] if m["self_check"] else []
    if bad:
        sys.exit("self-check failed for " + ", ".join(bad))


def write_table(path, metas):
    rows = ["| boundary | character (geometry) | grain-2 plane | ratio c2:b2:a2 | strain a/b/c (%) | "
            "cell A x B x L (A) | atoms | removed PS4/Li | translation u, v, gap (chosen by) | "
            "gamma unrelaxed (J/m2) | gamma relaxed (J/m2) | max grade |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for m in metas:
        g = m["geometry"]
        h = np.array(m["cell_lammps"])
        rm = m["removed"]
        pot = "search" in m
        gam = m.get("gamma_J_m2")
        rows.append("| %s | %s | (%s) | %s | %s | %.2f x %.2f x %.2f | %d | %d / %d | %.2f, %.2f, %.1f%s | %s | %s | %s |" % (
            m["label"] or m["name"], g["character"], " ".join(map(str, g["plane_grain2"])),
            ":".join("-" if x is None else str(x) for x in g["ratio_c2_b2_a2"]),
            "/".join("%+.2f" % (100 * e) for e in g["strain_abc"]),
            np.linalg.norm(h[0]), np.linalg.norm(h[1]), h[2][2], m["atoms"],
            rm["ps4_clash"] + rm["ps4_neutral"], rm["li_clash"] + rm["li_neutral"],
            *m["translation"], " (%s)" % m["chosen_by"] if pot else "",
            "%.3f" % m["gamma_unrelaxed_J_m2"] if pot else "-",
            "-" if not pot or gam is None else ("%.3f" % gam if m["valid"] else "invalid (%s)" % m["why"]),
            "%.3g" % m["max_grade_unrelaxed"] if pot and m.get("max_grade_unrelaxed") else "-"))
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(rows) + "\n")
    os.replace(path + ".tmp", path)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
