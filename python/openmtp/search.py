# SPDX-License-Identifier: BSD-3-Clause
"""Hyperparameter search for MTPs: validation error against evaluation cost.

    mtp search TRAIN.cfg --workdir=DIR --species=Li,P,S [--valid=VALID.cfg |
        --valid_fraction=0.1 | --kfold=K] [--levels=8,12,16] [--cutoffs=5.0]
        [--radial_basis_sizes=8] [--radial_funcs=2,3 (default: the level's
        MLIP template)] [--jobs=2]
        [--train_opts="--iteration_limit=500"] [--tolerance=0.1] [--seed=1]

Every combination of level x cutoff x radial basis size x radial-function
count is one candidate; each is trained (`mtp init` + `mtp train`) on the
training part, its errors measured on the validation part (`mtp
check_errors`: energy per atom, forces, stress MAE), and its evaluation cost
measured by the kernel (energy and forces with neighbour lists, microseconds
per atom of CPU time on one core, on the largest validation configuration
repeated to >= 2000 atoms; the fastest of >= 7 evaluations and >= 0.5 s;
measured after all training, one candidate at a time).  With --kfold=K the data are split into K folds
and each candidate is trained K times, its errors averaged over the folds.

Candidates run in parallel (--jobs, each `mtp train` on one thread) and each
one's result is stored in DIR/<candidate>/result.json, written atomically:
running the same command again after an interruption (kill, reboot) redoes
only the unfinished candidates.  A split is fixed by --seed and stored in DIR
(split.json); a later run with other data or another split is refused.

Results: DIR/search.tsv (one row per candidate) and DIR/search.png
(validation force MAE and energy MAE against cost, log-log), marking the
Pareto front (no other candidate is both cheaper and at least as accurate in
both energy and forces) and the chosen model: the cheapest candidate whose
score max(E_MAE / best E_MAE, F_MAE / best F_MAE) is within --tolerance of
the best score.  DIR/chosen.almtp is a copy of its potential (trained on the
training part; retrain on all data with the chosen settings for production).
"""

import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from ._lib import MTPError
from ._textfile import write_atomic
from .commands import mtp_executable


class SearchError(Exception):
    pass


# --- configuration files (split without parsing the physics) ---------------

def read_cfg_blocks(path):
    """The configurations of a text .cfg as their text blocks (BEGIN_CFG..END_CFG)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise SearchError("%s: %s" % (path, e.strerror))
    blocks, cur = [], None
    for no, line in enumerate(text.splitlines(True), 1):
        s = line.strip()
        if s == "BEGIN_CFG":
            if cur is not None:
                raise SearchError("%s:%d: BEGIN_CFG inside a configuration" % (path, no))
            cur = [line]
        elif s == "END_CFG":
            if cur is None:
                raise SearchError("%s:%d: END_CFG without BEGIN_CFG" % (path, no))
            cur.append(line)
            blocks.append("".join(cur))
            cur = None
        elif cur is not None:
            cur.append(line)
    if cur is not None:
        raise SearchError("%s: unexpected end of file inside a configuration" % path)
    if not blocks:
        raise SearchError("%s: no configurations (expected a text .cfg; convert others with `mtp convert`)" % path)
    return blocks


def make_splits(blocks, valid_blocks, valid_fraction, kfold, seed):
    """[(train_indices, valid_indices)] over `blocks` (valid_blocks: a separate set)."""
    n = len(blocks)
    if valid_blocks is not None:
        return [(list(range(n)), None)]
    order = list(range(n))
    random.Random(seed).shuffle(order)
    if kfold:
        if not 2 <= kfold <= n:
            raise SearchError("--kfold=%d: expected 2..%d (the number of configurations)" % (kfold, n))
        folds = [sorted(order[k::kfold]) for k in range(kfold)]
        return [(sorted(set(range(n)) - set(f)), f) for f in folds]
    nv = int(round(valid_fraction * n))
    if not 1 <= nv < n:
        raise SearchError("--valid_fraction=%g of %d configurations leaves no training or no validation data"
                          % (valid_fraction, n))
    return [(sorted(order[nv:]), sorted(order[:nv]))]


# --- one candidate ------------------------------------------------------------

def candidate_name(c):
    rf = "def" if c["radial_funcs"] is None else "%d" % c["radial_funcs"]
    return "L%d_rc%g_rb%d_rf%s" % (c["level"], c["cutoff"], c["radial_basis_size"], rf)


def _run(argv, log):
    with open(log, "a") as f:
        f.write("$ %s\n" % " ".join(argv))
        f.flush()
        p = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, env=dict(os.environ, OMP_NUM_THREADS="1"))
    if p.returncode != 0:
        with open(log) as f:
            tail = f.read().strip().splitlines()[-3:]
        raise SearchError("`%s` failed (exit %d): %s" % (" ".join(argv[:2]), p.returncode, " | ".join(tail)))


def parse_check_errors(text, what):
    """{'energy': MAE meV/atom, 'forces': MAE eV/A, 'stress': MAE GPa or None} from check_errors."""
    out = {"energy": None, "forces": None, "stress": None}
    for line in text.splitlines():
        if line.startswith("=== "):
            break  # the whole set's report is first; then one per group (--group_by, mlearn_group)
        w = line.split()
        if len(w) > 3 and w[0] == "Energy" and w[1] == "per" and w[3] == "MAE":
            out["energy"] = float(w[4])
        elif len(w) > 2 and w[0] == "Forces" and w[1] == "MAE":
            out["forces"] = float(w[2])
        elif len(w) > 2 and w[0] == "Stress" and w[1] == "MAE":
            out["stress"] = float(w[2])
    if out["energy"] is None or out["forces"] is None:
        raise SearchError("%s: no 'Energy per atom MAE' / 'Forces MAE' lines in the check_errors report" % what)
    for k, v in out.items():
        if v is not None and not math.isfinite(v):
            raise SearchError("%s: non-finite %s error" % (what, k))
    return out


# stand-in element names for potentials with relative types 0, 1, ...: the cost
# does not depend on which element a type is
_PLACEHOLDER_ELEMENTS = ("H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg")


def kernel_cost(pot_path, cfg_path, species, n_species, min_atoms=2000, repeats=7, min_cpu_seconds=0.5):
    """Energy+forces cost of the potential, microseconds per atom (one core)."""
    from .calculator import MTPCalculator
    from .io import read_cfg
    if not species:
        species = list(_PLACEHOLDER_ELEMENTS[:n_species])
    frames = read_cfg(cfg_path, species=species)
    atoms = max(frames, key=len).copy()
    reps = [1, 1, 1]
    while len(atoms) * reps[0] * reps[1] * reps[2] < min_atoms:
        k = min(range(3), key=lambda i: reps[i] * atoms.cell.lengths()[i])
        reps[k] += 1
    atoms = atoms.repeat(reps)
    calc = MTPCalculator(pot_path, species=species, grades=False)
    times = []
    while len(times) < repeats + 1 or sum(times[1:]) < min_cpu_seconds:
        atoms.rattle(1e-4, seed=len(times))  # a new geometry: no cached result
        atoms.calc = calc
        # CPU time of this process (the kernel runs on one thread here): far
        # less disturbed by other jobs on a shared machine than wall time
        t0 = time.process_time()
        atoms.get_forces()
        times.append(time.process_time() - t0)
    # the first call sets up the neighbour lists; the fastest of the others
    # is the least disturbed one
    return min(times[1:]) / len(atoms) * 1e6


def _tag0(splits):
    return "fold0" if len(splits) > 1 else "split"


def measure_cost(res, opts, workdir, splits):
    """Add the kernel cost to a candidate's stored result (once; measured with
    no training running, so that candidates are timed alike)."""
    if res.get("cost_us_per_atom") is not None:
        return res
    d = os.path.join(workdir, res["name"])
    valid = opts["valid"] or os.path.join(workdir, "%s.valid.cfg" % _tag0(splits))
    res = dict(res, cost_us_per_atom=kernel_cost(os.path.join(d, "pot.%s.almtp" % _tag0(splits)), valid,
                                                 opts["species_list"], res["species_count"]))
    write_atomic(os.path.join(d, "result.json"), json.dumps(res, indent=1) + "\n")
    return res


# Version of the validation errors stored in result.json: 2 = the whole validation set's (until
# 4 Dec 2026 the parser took check_errors' last report, which is one mlearn_group's).  An older
# result is measured again from its trained potentials (no training is redone).
ERRORS_VERSION = 2


def run_candidate(c, opts, workdir, splits, mtp):
    d = os.path.join(workdir, candidate_name(c))
    res_path = os.path.join(d, "result.json")
    old = None
    if os.path.exists(res_path):
        with open(res_path) as f:
            old = json.load(f)
        if old.get("errors_version") == ERRORS_VERSION:
            return old
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, "log.txt")
    errors = []
    t0 = time.time()
    for k in range(len(splits)):
        tag = "fold%d" % k if len(splits) > 1 else "split"
        train_cfg = os.path.join(workdir, "%s.train.cfg" % tag)
        valid_cfg = opts["valid"] or os.path.join(workdir, "%s.valid.cfg" % tag)
        init = os.path.join(d, "init.%s.almtp" % tag)
        pot = os.path.join(d, "pot.%s.almtp" % tag)
        if not os.path.exists(pot):
            _run([mtp, "init", "--level=%d" % c["level"], "--species=" + opts["species"],
                  "--cutoff=%g" % c["cutoff"], "--radial_basis_size=%d" % c["radial_basis_size"]] +
                 ([] if c["radial_funcs"] is None else ["--radial_funcs=%d" % c["radial_funcs"]]) +
                 ["-o", init], log)
            tmp = pot + ".tmp.almtp"
            _run([mtp, "train", init, train_cfg, "--save_to=" + tmp] + opts["train_opts"], log)
            os.replace(tmp, pot)
        p = subprocess.run([mtp, "check_errors", pot, valid_cfg], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
        if p.returncode != 0:
            raise SearchError("%s: check_errors failed: %s" % (candidate_name(c), p.stderr.strip()))
        errors.append(parse_check_errors(p.stdout, candidate_name(c)))
    mean = {k: (sum(e[k] for e in errors) / len(errors) if all(e[k] is not None for e in errors) else None)
            for k in ("energy", "forces", "stress")}
    from .potential import Potential
    info = Potential(os.path.join(d, "pot.%s.almtp" % _tag0(splits))).info
    res = dict(c, name=candidate_name(c), radial_funcs_count=info["radial_funcs_count"], energy_mae=mean["energy"],
               force_mae=mean["forces"], stress_mae=mean["stress"], n_params=info["param_count"],
               species_count=info["species_count"], folds=len(splits), errors_version=ERRORS_VERSION,
               train_seconds=old["train_seconds"] if old and "train_seconds" in old else round(time.time() - t0, 1))
    write_atomic(res_path, json.dumps(res, indent=1) + "\n")
    return res


# --- the front and the choice -------------------------------------------------

def pareto_front(rows):
    """Names of the candidates no other beats in cost, energy and force error at once."""
    front = set()
    for r in rows:
        dominated = any(o is not r and o["cost_us_per_atom"] <= r["cost_us_per_atom"] and
                        o["energy_mae"] <= r["energy_mae"] and o["force_mae"] <= r["force_mae"] and
                        (o["cost_us_per_atom"] < r["cost_us_per_atom"] or o["energy_mae"] < r["energy_mae"] or
                         o["force_mae"] < r["force_mae"]) for o in rows)
        if not dominated:
            front.add(r["name"])
    return front


def choose(rows, tolerance):
    best_e = min(r["energy_mae"] for r in rows)
    best_f = min(r["force_mae"] for r in rows)
    for r in rows:
        r["score"] = max(r["energy_mae"] / best_e if best_e > 0 else 1.0,
                         r["force_mae"] / best_f if best_f > 0 else 1.0)
    best = min(r["score"] for r in rows)
    ok = [r for r in rows if r["score"] <= best * (1 + tolerance)]
    return min(ok, key=lambda r: (r["cost_us_per_atom"], r["score"]))


COLUMNS = ("name", "level", "cutoff", "radial_basis_size", "radial_funcs_count", "n_params", "cost_us_per_atom",
           "energy_mae", "force_mae", "stress_mae", "score", "pareto", "chosen", "folds", "train_seconds")


def write_table(rows, path):
    lines = ["\t".join(COLUMNS)]
    for r in sorted(rows, key=lambda r: r["cost_us_per_atom"]):
        cells = []
        for c in COLUMNS:
            v = r.get(c)
            cells.append("-" if v is None else ("%.6g" % v if isinstance(v, float) else str(v)))
        lines.append("\t".join(cells))
    write_atomic(path, "\n".join(lines) + "\n")


def plot(rows, path):
    from ._plotting import pyplot, save_png
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((axes[0], "force_mae", "validation force MAE (eV/A)"),
                           (axes[1], "energy_mae", "validation energy MAE (meV/atom)")):
        xs = [r["cost_us_per_atom"] for r in rows]
        ax.scatter(xs, [r[key] for r in rows], c="0.6", label="candidates")
        front = sorted((r for r in rows if r["pareto"]), key=lambda r: r["cost_us_per_atom"])
        ax.plot([r["cost_us_per_atom"] for r in front], [r[key] for r in front], "o-", color="C0",
                label="Pareto front")
        ch = [r for r in rows if r["chosen"]][0]
        ax.scatter([ch["cost_us_per_atom"]], [ch[key]], s=160, facecolors="none", edgecolors="C3", linewidths=2,
                   label="chosen: " + ch["name"])
        for r in rows:
            ax.annotate(r["name"], (r["cost_us_per_atom"], r[key]), fontsize=6, alpha=0.7)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("evaluation cost (us/atom, energy + forces, 1 core)")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    fig.tight_layout()
    ch = [r for r in rows if r["chosen"]][0]
    save_png(fig, path, "mtp search: validation error against cost",
             "chosen %s: cost %.6g us/atom, E MAE %.6g meV/atom, F MAE %.6g eV/A"
             % (ch["name"], ch["cost_us_per_atom"], ch["energy_mae"], ch["force_mae"]))


# --- command line -------------------------------------------------------------

USAGE = __doc__


def _list(text, conv, what):
    try:
        vals = [conv(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SearchError("--%s=%s: expected a comma-separated list of numbers" % (what, text))
    if not vals:
        raise SearchError("--%s: empty list" % what)
    return vals


def parse_args(argv):
    o = {"levels": "8,12,16", "cutoffs": "5.0", "radial_basis_sizes": "8", "radial_funcs": None, "jobs": "2",
         "valid": None, "valid_fraction": None, "kfold": None, "train_opts": "", "tolerance": "0.1",
         "seed": "1", "workdir": None, "species": None}
    pos = []
    for a in argv:
        if a in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if a.startswith("--"):
            k, eq, v = a[2:].partition("=")
            if k not in o or not eq:
                raise SearchError("unknown option or missing value: %s" % a)
            o[k] = v
        else:
            pos.append(a)
    if len(pos) != 1:
        raise SearchError("expected one TRAIN.cfg, got %d arguments" % len(pos))
    if not o["workdir"]:
        raise SearchError("--workdir=DIR is required (candidates and results go there)")
    if not o["species"]:
        raise SearchError("--species=LIST is required (as for `mtp init`, e.g. Li,P,S or 0,1,2)")
    if sum(x is not None for x in (o["valid"], o["valid_fraction"], o["kfold"])) > 1:
        raise SearchError("give one of --valid, --valid_fraction, --kfold")
    opts = {"train": os.path.abspath(pos[0]), "workdir": os.path.abspath(o["workdir"]),
            "species": o["species"], "valid": os.path.abspath(o["valid"]) if o["valid"] else None}
    opts["species_list"] = [s for s in o["species"].split(",")] if not all(
        s.strip().isdigit() for s in o["species"].split(",")) else None
    try:
        opts["valid_fraction"] = float(o["valid_fraction"]) if o["valid_fraction"] else 0.1
        opts["kfold"] = int(o["kfold"]) if o["kfold"] else 0
        opts["jobs"] = int(o["jobs"])
        opts["tolerance"] = float(o["tolerance"])
        opts["seed"] = int(o["seed"])
    except ValueError as e:
        raise SearchError("bad number: %s" % e)
    if opts["jobs"] < 1 or not (0 < opts["valid_fraction"] < 1) or opts["tolerance"] < 0:
        raise SearchError("--jobs >= 1, 0 < --valid_fraction < 1 and --tolerance >= 0 expected")
    opts["grid"] = [dict(level=l, cutoff=c, radial_basis_size=b, radial_funcs=f)
                    for l in _list(o["levels"], int, "levels") for c in _list(o["cutoffs"], float, "cutoffs")
                    for b in _list(o["radial_basis_sizes"], int, "radial_basis_sizes")
                    for f in (_list(o["radial_funcs"], int, "radial_funcs") if o["radial_funcs"] else [None])]
    opts["train_opts"] = o["train_opts"].split()
    return opts


def prepare(opts):
    """Split the data into DIR (once; later runs must match) and return the splits."""
    os.makedirs(opts["workdir"], exist_ok=True)
    blocks = read_cfg_blocks(opts["train"])
    valid_blocks = read_cfg_blocks(opts["valid"]) if opts["valid"] else None
    splits = make_splits(blocks, valid_blocks, opts["valid_fraction"], opts["kfold"], opts["seed"])
    digest = hashlib.sha256("".join(blocks).encode()).hexdigest()
    if valid_blocks is not None:
        digest += ":" + hashlib.sha256("".join(valid_blocks).encode()).hexdigest()
    meta = {"data": digest, "splits": splits, "train_opts": opts["train_opts"], "species": opts["species"]}
    meta_path = os.path.join(opts["workdir"], "split.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            old = json.load(f)
        if old != json.loads(json.dumps(meta)):
            raise SearchError("%s: this directory holds a search over other data, split, species or "
                              "--train_opts; use another --workdir" % meta_path)
    for k, (tr, va) in enumerate(splits):
        tag = "fold%d" % k if len(splits) > 1 else "split"
        write_atomic(os.path.join(opts["workdir"], "%s.train.cfg" % tag), "\n".join(blocks[i] for i in tr) + "\n")
        if va is not None:
            write_atomic(os.path.join(opts["workdir"], "%s.valid.cfg" % tag), "\n".join(blocks[i] for i in va) + "\n")
    write_atomic(meta_path, json.dumps(meta) + "\n")
    return splits


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        opts = parse_args(argv)
        splits = prepare(opts)
        mtp = mtp_executable()
        print("mtp search: %d candidates x %d training run(s) each, %d in parallel, in %s"
              % (len(opts["grid"]), len(splits), opts["jobs"], opts["workdir"]), flush=True)
        rows, failures = [], []
        with ThreadPoolExecutor(max_workers=opts["jobs"]) as pool:
            futures = {pool.submit(run_candidate, c, opts, opts["workdir"], splits, mtp): c for c in opts["grid"]}
            for fut, c in futures.items():
                try:
                    r = fut.result()
                    rows.append(r)
                    print("  %-22s E %.3f meV/atom  F %.4f eV/A  (validation MAE)" % (
                        r["name"], r["energy_mae"], r["force_mae"]), flush=True)
                except (SearchError, MTPError, OSError) as e:
                    failures.append((candidate_name(c), str(e)))
                    print("  %-22s FAILED: %s" % (candidate_name(c), e), flush=True)
        # costs after all training, one candidate at a time
        for k, r in enumerate(rows):
            try:
                rows[k] = measure_cost(r, opts, opts["workdir"], splits)
                print("  %-22s cost %.2f us/atom" % (r["name"], rows[k]["cost_us_per_atom"]), flush=True)
            except (MTPError, OSError) as e:
                failures.append((r["name"], "cost: %s" % e))
        rows = [r for r in rows if r.get("cost_us_per_atom") is not None]
        if failures:
            raise SearchError("%d of %d candidates failed (see DIR/<candidate>/log.txt); finished ones are kept, "
                              "run again to retry" % (len(failures), len(opts["grid"])))
        front = pareto_front(rows)
        chosen = choose(rows, opts["tolerance"])
        for r in rows:
            r["pareto"] = r["name"] in front
            r["chosen"] = r is chosen
        write_table(rows, os.path.join(opts["workdir"], "search.tsv"))
        shutil.copyfile(os.path.join(opts["workdir"], chosen["name"], "pot.%s.almtp" % _tag0(splits)), os.path.join(opts["workdir"], "chosen.almtp.tmp"))
        os.replace(os.path.join(opts["workdir"], "chosen.almtp.tmp"), os.path.join(opts["workdir"], "chosen.almtp"))
        from ._plotting import MatplotlibMissing
        try:
            plot(rows, os.path.join(opts["workdir"], "search.png"))
            png = " and search.png"
        except MatplotlibMissing:
            png = " (search.png not drawn: needs python3-matplotlib)"
        print("chosen: %s (score %.3f, cost %.2f us/atom); Pareto front: %s; table search.tsv%s"
              % (chosen["name"], chosen["score"], chosen["cost_us_per_atom"], ", ".join(sorted(front)), png))
        return 0
    except SearchError as e:
        sys.stderr.write("mtp search: %s\n" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
