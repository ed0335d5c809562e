# SPDX-License-Identifier: BSD-3-Clause
"""`mtp search` (openmtp.search): hyperparameter grid on a train/validation split.

Data: 24 rattled and strained bcc Li cells labelled by the shipped mlearn Li
potential (`mtp calculate_efs`), so every candidate can learn them.  A grid of
levels 4 and 8 at two cutoffs, 25 iterations each: the table has one row per
candidate with finite errors and costs; the Pareto marks and the choice follow
their definitions (recomputed here from the table); search.png and
chosen.almtp are written; a candidate whose result is deleted (as if killed)
is the only one redone by the same command; a search over another split in
the same directory is refused; k-fold trains each candidate K times."""
import csv
import json
import os
import shutil
import subprocess
import sys

from testlib import POT_LI, Skip, li_bcc, run_tests, workdir

from openmtp import write_cfg
from openmtp.commands import mtp_executable

GRID = ["--levels=4,8", "--cutoffs=4.0,5.0", "--train_opts=--iteration_limit=25"]


def dataset(d):
    path = os.path.join(d, "data.cfg")
    if os.path.exists(path):
        return path
    frames = []
    for k in range(24):
        a = li_bcc(rep=2, a=3.44 * (0.97 + 0.06 * k / 23), rattle=0.08, seed=k)
        frames.append(a)
    write_cfg(os.path.join(d, "structures.cfg"), frames, species=["Li"])
    subprocess.run([mtp_executable(), "calculate_efs", POT_LI, os.path.join(d, "structures.cfg"), "--output_filename=" + path],
                   check=True, stdout=subprocess.DEVNULL)
    return path


def search(d, *extra):
    return subprocess.run([sys.executable, "-m", "openmtp.search", dataset(d), "--workdir=" + os.path.join(d, "search"),
                           "--species=0", "--jobs=2"] + GRID + list(extra),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def table(d):
    with open(os.path.join(d, "search", "search.tsv")) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_grid_table_front_choice_resume():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise Skip("matplotlib not available")
    d = workdir("search-grid")
    p = search(d, "--valid_fraction=0.25")
    assert p.returncode == 0, p.stdout + p.stderr
    rows = table(d)
    assert len(rows) == 4 and {r["name"] for r in rows} == {"L4_rc4_rb8_rfdef", "L4_rc5_rb8_rfdef",
                                                           "L8_rc4_rb8_rfdef", "L8_rc5_rb8_rfdef"}, rows
    for r in rows:
        for k in ("cost_us_per_atom", "energy_mae", "force_mae", "score"):
            v = float(r[k])
            assert v == v and 0 <= v < 1e6, (r["name"], k, v)
    cost = {r["name"]: float(r["cost_us_per_atom"]) for r in rows}
    e = {r["name"]: float(r["energy_mae"]) for r in rows}
    f = {r["name"]: float(r["force_mae"]) for r in rows}
    for r in rows:
        n = r["name"]
        dominated = any(cost[o] <= cost[n] and e[o] <= e[n] and f[o] <= f[n] and
                        (cost[o], e[o], f[o]) != (cost[n], e[n], f[n]) for o in cost if o != n)
        assert (r["pareto"] == "True") == (not dominated), (n, r["pareto"], dominated)
    be, bf = min(e.values()), min(f.values())
    score = {n: max(e[n] / be, f[n] / bf) for n in e}
    ok = [n for n in score if score[n] <= min(score.values()) * 1.1]
    want = min(ok, key=lambda n: (cost[n], score[n]))
    chosen = [r["name"] for r in rows if r["chosen"] == "True"]
    assert chosen == [want], (chosen, want)
    assert os.path.getsize(os.path.join(d, "search", "chosen.almtp")) > 0
    with open(os.path.join(d, "search", "search.png"), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    # resume: one candidate lost its result (killed while training): only it is redone
    logs = {n: os.path.getsize(os.path.join(d, "search", n, "log.txt")) for n in cost}
    os.remove(os.path.join(d, "search", "L8_rc5_rb8_rfdef", "result.json"))
    os.remove(os.path.join(d, "search", "L8_rc5_rb8_rfdef", "pot.split.almtp"))
    p = search(d, "--valid_fraction=0.25")
    assert p.returncode == 0, p.stdout + p.stderr
    for n in cost:
        grew = os.path.getsize(os.path.join(d, "search", n, "log.txt")) > logs[n]
        assert grew == (n == "L8_rc5_rb8_rfdef"), (n, grew)
    assert len(table(d)) == 4
    # another split in the same directory: refused, nothing overwritten
    p = search(d, "--valid_fraction=0.25", "--seed=2")
    assert p.returncode == 1 and "use another --workdir" in p.stderr, p.stderr


def test_kfold_and_errors():
    d = workdir("search-kfold")
    # through the C front end: `mtp search` runs this package's openmtp.search
    p = subprocess.run([mtp_executable(), "search", dataset(d), "--workdir=" + os.path.join(d, "search"),
                        "--species=0", "--levels=4", "--cutoffs=4.5", "--kfold=3",
                        "--train_opts=--iteration_limit=10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = table(d)
    assert len(rows) == 1 and rows[0]["folds"] == "3", rows
    for k in range(3):
        assert os.path.exists(os.path.join(d, "search", "L4_rc4.5_rb8_rfdef", "pot.fold%d.almtp" % k))
    for bad, msg in ((["--kfold=99"], "--kfold=99"), (["--levels=x"], "comma-separated"),
                     (["--valid_fraction=0.25", "--kfold=2"], "give one of"), (["--frobnicate=1"], "unknown option")):
        p = subprocess.run([sys.executable, "-m", "openmtp.search", dataset(d), "--workdir=" + os.path.join(d, "bad"),
                            "--species=0"] + bad, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        assert p.returncode != 0 and msg in p.stderr, (bad, p.returncode, p.stderr)


def test_errors_of_the_whole_validation_set():
    """check_errors adds one report per mlearn_group after the whole set's (the mlearn data
    have it): the table must hold the whole validation set's errors, not the last group's."""
    d = workdir("search-groups")
    shutil.rmtree(os.path.join(d, "search"), ignore_errors=True)  # a kept result would be reused
    src = dataset(d)
    grouped = os.path.join(d, "grouped.cfg")
    blocks = open(src).read().split("END_CFG")
    with open(grouped, "w") as f:
        for k, b in enumerate(blocks[:-1]):
            f.write(b + " Feature   mlearn_group\t%s\nEND_CFG" % ("big" if k % 2 else "small"))
        f.write(blocks[-1])
    p = subprocess.run([mtp_executable(), "search", grouped, "--workdir=" + os.path.join(d, "search"), "--species=0",
                        "--levels=4", "--cutoffs=4.5", "--valid_fraction=0.5", "--train_opts=--iteration_limit=10"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert p.returncode == 0, p.stdout + p.stderr
    row = table(d)[0]
    cand = os.path.join(d, "search", row["name"])
    rep = subprocess.run([mtp_executable(), "check_errors", os.path.join(cand, "pot.split.almtp"),
                          os.path.join(d, "search", "split.valid.cfg")], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    assert "=== mlearn_group = " in rep, rep
    whole = rep.split("=== ")[0]
    f = [l.split()[2] for l in whole.splitlines() if l.split()[:2] == ["Forces", "MAE"]]
    e = [l.split()[4] for l in whole.splitlines() if l.split()[:4] == ["Energy", "per", "atom", "MAE"]]
    assert len(f) == 1 and len(e) == 1, whole
    assert abs(float(row["force_mae"]) - float(f[0])) < 1e-9 and abs(float(row["energy_mae"]) - float(e[0])) < 1e-9, (
        row, e, f)
    # a result stored by the old parser (no errors_version, one group's errors) is measured again
    # from its potential when the search is run again, without training it again
    res_path = os.path.join(cand, "result.json")
    stored = json.load(open(res_path))
    stored.pop("errors_version")
    stored.update(force_mae=12.5, energy_mae=99.0, cost_us_per_atom=None)
    open(res_path, "w").write(json.dumps(stored))
    pot_mtime = os.path.getmtime(os.path.join(cand, "pot.split.almtp"))
    p = subprocess.run([mtp_executable(), "search", grouped, "--workdir=" + os.path.join(d, "search"), "--species=0",
                        "--levels=4", "--cutoffs=4.5", "--valid_fraction=0.5", "--train_opts=--iteration_limit=10"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert p.returncode == 0, p.stdout + p.stderr
    again = table(d)[0]
    assert again["force_mae"] == row["force_mae"] and again["energy_mae"] == row["energy_mae"], (again, row)
    assert os.path.getmtime(os.path.join(cand, "pot.split.almtp")) == pot_mtime, "the potential was trained again"


if __name__ == "__main__":
    run_tests(globals())
