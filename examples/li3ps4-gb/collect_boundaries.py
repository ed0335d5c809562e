#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The boundary energies of build_gb.py's NAME.json files as one small text table for the
report (committed as results/boundaries.txt; the cells themselves are not committed).

    collect_boundaries.py OUT/S*.json -o results/boundaries.txt
    collect_boundaries.py --extremes results/boundaries.txt    # names of the lowest, highest gamma

Columns (tab-separated, header line): name, label, atoms, gamma_relaxed_J_m2 (atoms and the
normal cell length relaxed with the potential, '-' when no relaxation was run), valid (yes/no:
the builder's validity test of the relaxed cell: PS4 intact, minimum distances, guard wall
untouched), why (the reason when invalid), gamma_unrelaxed_J_m2, chosen_by, wall_eV, potential."""
import argparse
import json
import os
import sys

COLUMNS = ("name", "label", "atoms", "gamma_relaxed_J_m2", "valid", "why", "gamma_unrelaxed_J_m2",
           "chosen_by", "wall_eV", "potential")


def row(meta):
    def num(k, fmt="%.4f"):
        v = meta.get(k)
        return fmt % v if isinstance(v, (int, float)) else "-"
    return {"name": meta["name"], "label": meta.get("label", meta["name"]), "atoms": str(meta.get("atoms", "-")),
            "gamma_relaxed_J_m2": num("gamma_J_m2"),
            "valid": "-" if "valid" not in meta else ("yes" if meta["valid"] else "no"),
            "why": (meta.get("why") or "-").replace("\t", " "),
            "gamma_unrelaxed_J_m2": num("gamma_unrelaxed_J_m2"), "chosen_by": meta.get("chosen_by", "-"),
            "wall_eV": num("wall_eV", "%.3g"), "potential": os.path.basename(meta.get("potential", "-"))}


def extremes(path):
    """Names of the boundaries with the lowest and the highest relaxed (valid) energy; the
    unrelaxed energy when no relaxation is valid (said on stderr)."""
    with open(path) as f:
        lines = f.read().splitlines()
    cols = lines[0].split("\t")
    rows = [dict(zip(cols, l.split("\t"))) for l in lines[1:] if l.strip()]
    key = "gamma_relaxed_J_m2"
    usable = [r for r in rows if r["valid"] == "yes" and r[key] != "-"]
    if len(usable) < 2:
        sys.stderr.write("collect_boundaries: fewer than 2 valid relaxed energies in %s; choosing by the "
                         "unrelaxed energy\n" % path)
        key = "gamma_unrelaxed_J_m2"
        usable = [r for r in rows if r[key] != "-"]
    if len(usable) < 2:
        raise ValueError("%s: expected at least 2 boundaries with an energy" % path)
    usable.sort(key=lambda r: float(r[key]))
    return usable[0]["name"], usable[-1]["name"]


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--extremes"] and len(argv) == 2:
        try:
            print(" ".join(extremes(argv[1])))
        except (OSError, ValueError, KeyError) as e:
            sys.stderr.write("collect_boundaries: %s\n" % e)
            return 1
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    rows = []
    for p in a.json:
        try:
            with open(p) as f:
                meta = json.load(f)
            rows.append(row(meta))
        except (OSError, ValueError, KeyError) as e:
            sys.stderr.write("collect_boundaries: %s: expected a build_gb.py json (%s)\n" % (p, e))
            return 1
    text = "\t".join(COLUMNS) + "\n" + "".join("\t".join(r[c] for c in COLUMNS) + "\n" for r in rows)
    tmp = a.output + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
