#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctest driver (tests/gb-md.cmake): the MD driver, the analysis and the report target end to
end on a tiny stand-in run, and the report's refusal of bad input.

    test_md_report.py WORKDIR GB_CELL_DIR LMP_MTP POT

Runs `make -C examples/li3ps4-gb md` serially (SUBMIT=) on bulk (2 x 2 x 2 cells, 256 atoms)
and the S5-010-010-twist cell built by gb_build_S5-010-010-twist (496 atoms, in-plane 1 x 1 at
MIN_ATOMS=200) at 500 and 800 K, 2 blocks of 50 steps each, then `make boundaries` and `make
report`, and checks: the restart chain (block-001 starts from block-000's restart), the region
file (boundary fractions 0 and 0.5), every (cell, T) analysed with all three regions for the
bicrystal and only 'all' for bulk, the report's tables carry the analysis numbers, its
Arrhenius table has a row per cell, region and quantity, and the three PNGs exist.  Then the
report must exit non-zero with a message on an empty results directory and on a corrupted
T*.txt ('file:line')."""
import os
import shutil
import subprocess
import sys

WORK, CELLDIR, LMP, POT = (os.path.abspath(a) for a in sys.argv[1:5])
GB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, expect=0):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if (p.returncode == 0) != (expect == 0):
        print(p.stdout[-4000:])
    return p


def main():
    if not os.path.exists(os.path.join(CELLDIR, "S5-010-010-twist.json")):
        print("no S5-010-010-twist cell in %s (gb_build_S5-010-010-twist did not run)" % CELLDIR)
        return 77
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    res, rep, md = (os.path.join(WORK, d) for d in ("results", "report", "md"))
    common = ["RESULTS=" + res, "OUT=" + CELLDIR]
    p = run(["make", "-C", GB, "md", "POT=" + POT, "WORKDIR=" + md, "LMP=" + LMP, "SUBMIT=",
             "CELLS=bulk S5-010-010-twist", "TEMPS=500 800", "MIN_ATOMS=200", "BLOCKS=2",
             "BLOCK_PS=0.05", "EQUIL_PS=0.05", "DUMP_EVERY=5", "THERMO=25", "ORIGINS=3"] + common)
    check(p.returncode == 0, "make md (exit %d)" % p.returncode)
    if p.returncode:
        return 1
    log = open(os.path.join(md, "S5-010-010-twist", "T800", "block-001.log")).read()
    check("read_restart    block-000.restart" in log or "read_restart block-000.restart" in log,
          "block 001 continues from block 000's restart")
    regions = open(os.path.join(res, "S5-010-010-twist", "cell.regions")).read()
    check("boundary_fractions 0.000000 0.500000" in regions, "bicrystal region file has both boundaries")
    check("atoms 256" in open(os.path.join(res, "bulk", "cell.regions")).read(), "bulk replicated to 256 atoms")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(GB)), "python"))
    from openmtp import region_diffusion as rd
    values = {}
    for cell, regs in (("bulk", {"all"}), ("S5-010-010-twist", {"all", "near", "middle"})):
        for T in (500, 800):
            r = rd.read_result(os.path.join(res, cell, "T%d.txt" % T))
            got = set(k for k in r if k != "settings")
            check(got == regs, "%s T%d regions %s" % (cell, T, sorted(got)))
            values[(cell, T)] = r
            run_file = open(os.path.join(res, cell, "T%d.run" % T)).read()
            check("ns_per_day " in run_file and "mean of 2 blocks" in run_file, "%s T%d throughput recorded" % (cell, T))
    p = run(["make", "-C", GB, "boundaries"] + common)
    check(p.returncode == 0, "make boundaries")
    p = run(["make", "-C", GB, "report", "REPORT=" + rep] + common)
    check(p.returncode == 0, "make report (exit %d)" % p.returncode)
    text = open(os.path.join(rep, "README.md")).read() if p.returncode == 0 else ""
    for png in ("isotropy.png", "arrhenius-bulk.png", "arrhenius-S5-010-010-twist.png"):
        f = os.path.join(rep, png)
        check(os.path.exists(f) and open(f, "rb").read(8) == b"\x89PNG\r\n\x1a\n", png)
    v = values[("S5-010-010-twist", 800)]["near"]["D_normal"]
    check(("%.3g ± %.2g" % v) in text, "report carries near D_normal at 800 K (%.3g)" % v[0])
    check("| Sigma5[010]/(010) twist | 496 |" in text, "boundary table lists the cell")
    arr = [l for l in text.splitlines() if l.startswith("| Sigma5[010]/(010) twist | ") and "| D_" in l]
    check(len(arr) == 9, "Arrhenius rows for the bicrystal: %d (expected 3 regions x 3 quantities)" % len(arr))
    # bad input: an empty results directory, a corrupted analysis file
    empty = os.path.join(WORK, "empty")
    os.makedirs(empty)
    p = run(["make", "-C", GB, "report", "RESULTS=" + empty, "REPORT=" + os.path.join(WORK, "r2")], expect=1)
    check(p.returncode != 0 and "no */cell.regions" in p.stdout, "report refuses an empty results directory")
    bad = os.path.join(WORK, "bad")
    shutil.copytree(res, bad)
    f = os.path.join(bad, "bulk", "T500.txt")
    lines = open(f).read().splitlines()
    lines[5] = lines[5].replace("e", "x", 1)
    open(f, "w").write("\n".join(lines) + "\n")
    p = run(["make", "-C", GB, "report", "RESULTS=" + bad, "REPORT=" + os.path.join(WORK, "r3")], expect=1)
    check(p.returncode != 0 and "T500.txt:6:" in p.stdout, "report refuses a corrupted T500.txt with file:line")
    check_keep_restore(res, md, common)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


def check_continued(work_md, results, reference, block, what):
    """After a restore into work_md and make md: per (cell, T) only block BLOCK ran there, the
    analysis in results equals reference's, and results keeps only block BLOCK's restart."""
    for cell in ("bulk", "S5-010-010-twist"):
        for T in (500, 800):
            w = os.path.join(work_md, cell, "T%d" % T)
            ran = sorted(f for f in os.listdir(w) if f.endswith(".log")) if os.path.isdir(w) else []
            check(ran == ["block-%s.log" % block], "%s T%d: %s: only block %s ran (%s)" % (cell, T, what, block, ran))
            txt = [open(os.path.join(d, cell, "T%d.txt" % T)).read() for d in (results, reference)]
            check(txt[0] == txt[1], "%s T%d: %s: the analysis equals the uninterrupted run's" % (cell, T, what))
            left = sorted(f for f in os.listdir(os.path.join(results, cell, "T%d" % T)) if f.endswith(".restart"))
            check(left == ["block-%s.restart" % block], "%s T%d: %s: only the newest restart kept (%s)"
                  % (cell, T, what, left))


def check_keep_restore(res, md, common):
    """RESULTS holds what a run needs to continue elsewhere: per (cell, T) the block MSD files and
    logs, the equilibration log and lattice, one restart (the newest); per cell cell.lmp,
    cell.regions, pot.sha256.  `make restore` on an empty WORKDIR, then `make md BLOCKS=3`, runs
    only block 002 and gives the same analysis as an uninterrupted 3-block run.  Another
    potential is refused."""
    for cell in ("bulk", "S5-010-010-twist"):
        for f in ("cell.lmp", "cell.regions", "pot.sha256", "md.settings"):
            check(os.path.exists(os.path.join(res, cell, f)), "kept %s/%s" % (cell, f))
        for T in (500, 800):
            d = os.path.join(res, cell, "T%d" % T)
            have = sorted(os.listdir(d)) if os.path.isdir(d) else []
            want = ["block-000.log", "block-000.msd", "block-001.log", "block-001.msd", "block-001.restart",
                    "equil.log", "lattice.txt"]
            check(have == want, "kept in %s/T%d: %s" % (cell, T, have))
    args = ["POT=" + POT, "LMP=" + LMP, "SUBMIT=", "CELLS=bulk S5-010-010-twist", "TEMPS=500 800",
            "MIN_ATOMS=200", "BLOCK_PS=0.05", "EQUIL_PS=0.05", "DUMP_EVERY=5", "THERMO=25", "ORIGINS=3"]
    ref_res, ref_md = os.path.join(WORK, "ref-results"), os.path.join(WORK, "ref-md")
    p = run(["make", "-C", GB, "md", "WORKDIR=" + ref_md, "BLOCKS=3"] + args + common[1:] + ["RESULTS=" + ref_res])
    check(p.returncode == 0, "uninterrupted 3-block run (exit %d)" % p.returncode)
    kept = os.path.join(WORK, "kept-results")
    shutil.copytree(res, kept)
    new_md = os.path.join(WORK, "md-restored")
    p = run(["make", "-C", os.path.join(GB, "md"), "restore", "WORKDIR=" + new_md, "RESULTS=" + kept] + args)
    check(p.returncode == 0, "make restore (exit %d)" % p.returncode)
    p = run(["make", "-C", GB, "md", "WORKDIR=" + new_md, "BLOCKS=3"] + args + common[1:] + ["RESULTS=" + kept])
    check(p.returncode == 0, "make md BLOCKS=3 after restore (exit %d)" % p.returncode)
    check_continued(new_md, kept, ref_res, "002", "after restore")
    # interrupted between keeping block 001's restart and its .msd (the older restart not yet
    # dropped): restored, only block 001 reruns, and the analysis is the same
    cut = os.path.join(WORK, "cut-results")
    shutil.copytree(res, cut)
    for cell in ("bulk", "S5-010-010-twist"):
        for T in (500, 800):
            os.unlink(os.path.join(cut, cell, "T%d" % T, "block-001.msd"))
            shutil.copy(os.path.join(md, cell, "T%d" % T, "block-000.restart"), os.path.join(cut, cell, "T%d" % T))
    cut_md = os.path.join(WORK, "md-cut")
    p = run(["make", "-C", GB, "md", "WORKDIR=" + cut_md, "BLOCKS=2"] + args + common[1:] + ["RESULTS=" + cut], expect=1)
    check(p.returncode != 0 and "run make restore first" in p.stdout, "make md on an unrestored WORKDIR refused")
    p = run(["make", "-C", os.path.join(GB, "md"), "restore", "WORKDIR=" + cut_md, "RESULTS=" + cut, "BLOCKS=2"] + args)
    check(p.returncode == 0, "make restore of an interrupted state (exit %d)" % p.returncode)
    p = run(["make", "-C", GB, "md", "WORKDIR=" + cut_md, "BLOCKS=2"] + args + common[1:] + ["RESULTS=" + cut])
    check(p.returncode == 0, "make md after restoring an interrupted state (exit %d)" % p.returncode)
    check_continued(cut_md, cut, res, "001", "interrupted state")
    p = run(["make", "-C", GB, "md", "WORKDIR=" + cut_md, "BLOCKS=1"] + args + common[1:] + ["RESULTS=" + cut], expect=1)
    check(p.returncode != 0 and "BLOCKS=1 is fewer" in p.stdout, "fewer BLOCKS than kept refused")
    p = run(["make", "-C", GB, "md", "WORKDIR=" + cut_md, "BLOCKS=2", "WALL=0"] + args + common[1:] + ["RESULTS=" + cut], expect=1)
    check(p.returncode != 0 and "md.settings: these results were made with 'wall 1" in p.stdout, "other MD settings (WALL=0) refused")
    other = os.path.join(WORK, "other.almtp")
    shutil.copy(POT, other)
    with open(other, "a") as f:
        f.write("\n")
    p = run(["make", "-C", GB, "md", "WORKDIR=" + new_md, "BLOCKS=3"] + [a if not a.startswith("POT=") else "POT=" + other
             for a in args] + common[1:] + ["RESULTS=" + kept], expect=1)
    check(p.returncode != 0 and "made with another potential" in p.stdout, "results of another potential refused")


if __name__ == "__main__":
    sys.exit(main())
