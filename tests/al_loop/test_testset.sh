#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest al_loop_testset: examples/li3ps4-beta/testset/Makefile's held-out frames, short runs with
# the shipped potential (the CP2K labelling itself is not run):
#   * a run T<K>_s<strain> uses STRUCTURE, a run ..._c<NAME> the file NAME=FILE of STRUCTURES
#     (here: the 32-atom bulk cell, and the same cell doubled along a as NAME "double");
#   * each run gives FRAMES frames with its test_run feature; structures.cfg has all of them
#     graded (MV_grade);
#   * a run naming a structure that STRUCTURES lacks, or a malformed run name, stops make with
#     a message.
#   test_testset.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3/testset
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$BIN/lmp_mtp" ] || { echo "SKIP: lmp_mtp not built" >&2; exit 77; }
POT=$SRC/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp
rm -rf "$WORK"; mkdir -p "$WORK"
cat > "$WORK/double.lmp" <<LMP
variable nx equal 2
variable ny equal 1
variable nz equal 1
include $SRC/examples/li3ps4-beta/campaign/structure.lmp
LMP
tm() { make -C "$SRC/examples/li3ps4-beta/testset" POT="$POT" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" \
       FRAMES=2 EQUIL_PS=0.01 EVERY_PS=0.01 "$@"; }
tm structures WORKDIR="$WORK/a" RUNS="T300_s1.00 T600_s0.975x_cdouble" \
   STRUCTURES="double=$WORK/double.lmp" > "$WORK/log1" 2>&1 || { cat "$WORK/log1"; fail "make structures failed"; }
/usr/bin/python3 - "$WORK/a" <<'PY' || fail "frames do not match their runs"
import sys, re
d = sys.argv[1]
def frames(path):
    out, cur = [], None
    for line in open(path):
        w = line.split()
        if w[:1] == ["BEGIN_CFG"]: cur = {"feat": {}}
        elif w[:1] == ["Size"]: cur["expect_size"] = True
        elif cur is not None and cur.pop("expect_size", False): cur["size"] = int(w[0])
        elif w[:1] == ["Feature"]: cur["feat"][w[1]] = w[2]
        elif w[:1] == ["END_CFG"]: out.append(cur)
    return out
want = {"T300_s1.00": 32, "T600_s0.975x_cdouble": 64}
for run, size in want.items():
    f = frames(f"{d}/{run}/frames.cfg")
    assert len(f) == 2, (run, len(f))
    assert all(x["size"] == size and x["feat"]["test_run"] == run for x in f), (run, f)
log = open(f"{d}/T600_s0.975x_cdouble/md.log").read()
assert "x scale 0.975" in log, "uniaxial strain not applied"
alls = frames(f"{d}/structures.cfg")
assert sorted(x["feat"]["test_run"] for x in alls) == sorted(r for r in want for _ in range(2)), alls
assert all("MV_grade" in x["feat"] for x in alls), "structures.cfg not graded"
PY
tm structures WORKDIR="$WORK/b" RUNS="T300_s1.00_cnone" STRUCTURES="double=$WORK/double.lmp" > "$WORK/log2" 2>&1 &&
  fail "an unknown structure name was accepted"
grep -q "no structure 'none' in STRUCTURES" "$WORK/log2" || fail "unknown name: $(cat "$WORK/log2")"
tm structures WORKDIR="$WORK/c" RUNS="T300_sfoo" > "$WORK/log3" 2>&1 && fail "a malformed run name was accepted"
grep -q "expected T<K>_s<strain>" "$WORK/log3" || fail "malformed run: $(cat "$WORK/log3")"
tm structures WORKDIR="$WORK/d" RUNS="T300_s1.00_n2" > "$WORK/log4" 2>&1 && fail "a run name with an unknown field was accepted"
grep -q "expected T<K>_s<strain>" "$WORK/log4" || fail "unknown field: $(cat "$WORK/log4")"
tm structures WORKDIR="$WORK/e" RUNS="T300_s1.00_cdouble" STRUCTURES="double=$WORK/double.lmp double=$WORK/x.lmp" > "$WORK/log5" 2>&1 &&
  fail "a NAME given twice in STRUCTURES was accepted"
grep -q "appears twice" "$WORK/log5" || fail "duplicate name: $(cat "$WORK/log5")"
echo "testset: ok"
