#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Draws rounds.tsv of the active-learning loop: training/validation errors and
the exploration's maximal extrapolation grade per round.

Usage: /usr/bin/python3 plot_rounds.py rounds.tsv rounds.png [--threshold=2]
(Debian's python3-matplotlib; the PNG is written to a temporary name and
renamed, so an interrupted run never leaves a broken picture.)"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def number(text):
    """A column value; '-' (not applicable, e.g. no validation set) is NaN."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    threshold = None
    for a in argv:
        if a.startswith("--threshold="):
            threshold = float(a.split("=", 1)[1])
    if len(args) != 2:
        sys.exit(__doc__)
    table, picture = args
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        sys.exit(f"{table}: no rounds yet")
    col = {key: [number(r[key]) for r in rows] for key in rows[0]}
    rounds = col["round"]

    fig, (ax_e, ax_g) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 6.4))
    ax_f = ax_e.twinx()
    ax_e.plot(rounds, col["train_energy_mae"], "o-", color="C0", label="energy, training")
    ax_e.plot(rounds, col["valid_energy_mae"], "o--", color="C0", label="energy, validation")
    ax_f.plot(rounds, col["train_force_mae"], "s-", color="C1", label="forces, training")
    ax_f.plot(rounds, col["valid_force_mae"], "s--", color="C1", label="forces, validation")
    ax_e.set_ylabel("energy MAE (meV/atom)", color="C0")
    ax_f.set_ylabel("force MAE (eV/Å)", color="C1")
    ax_e.set_ylim(bottom=0)
    ax_f.set_ylim(bottom=0)
    lines = ax_e.get_lines() + ax_f.get_lines()
    ax_e.legend(lines, [line.get_label() for line in lines], fontsize="small")
    ax_e.set_title("active learning: errors of each round's potential")

    grades = [g if g > 0 else math.nan for g in col["max_grade"]]
    ax_g.semilogy(rounds, grades, "o-", color="C3", label="max grade while exploring")
    if threshold:
        ax_g.axhline(threshold, color="gray", linestyle=":", label=f"threshold_save {threshold:g}")
    ax_s = ax_g.twinx()
    ax_s.bar(rounds, col["selected"], alpha=0.3, color="C2", label="selected frames")
    ax_s.set_ylabel("selected frames", color="C2")
    ax_g.set_zorder(ax_s.get_zorder() + 1)  # the grade line in front of the bars
    ax_g.patch.set_visible(False)
    ax_g.set_ylabel("max extrapolation grade")
    ax_g.set_xlabel("round")
    handles = ax_g.get_lines() + ax_s.patches[:1]
    ax_g.legend(handles, [h.get_label() for h in ax_g.get_lines()] + ["selected frames"],
                loc="upper right", fontsize="small")
    ax_g.xaxis.get_major_locator().set_params(integer=True)

    fig.tight_layout()
    tmp = picture + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, picture)


if __name__ == "__main__":
    main(sys.argv[1:])
