#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label md): the diffusion MD driver examples/li3ps4-beta/md/Makefile,
# run tiny (64-atom stand-in SiC cell with the Tersoff stand-in MTP, 0.3 ps
# blocks) at two temperatures: every block, D.txt and the Arrhenius fit are
# written; a block deleted (as if interrupted) is redone from the previous
# block's restart file and comes out identical, and nothing else is redone.
#   test_diffusion_md.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$BIN/lmp_mtp" ] || { echo "SKIP: lmp_mtp not built" >&2; exit 77; }
/usr/bin/python3 -c "import matplotlib" 2> /dev/null || { echo "SKIP: needs python3-matplotlib" >&2; exit 77; }
rm -rf "$WORK"
run() {
  make --no-print-directory -C "$SRC/examples/li3ps4-beta/md" LMP="$BIN/lmp_mtp" \
    PYTHONPATH="$(dirname "$BIN")/python" \
    POT="$SRC/potentials/SiC-tersoff-standin/SiC-10.almtp" STRUCTURE="$SRC/examples/active_learning/structure.lmp" \
    WORKDIR="$WORK" TEMPS="1500 2500" N=2 EQUIL_PS=0.3 BLOCK_PS=0.3 BLOCKS=3 MSD_EVERY=10 NP=1 "$@"
}
run > "$WORK.log" 2>&1 || { tail -20 "$WORK.log"; fail "the MD driver failed"; }
for T in 1500 2500; do
  for b in 000 001 002; do [ -s "$WORK/T$T/block-$b.msd" ] && [ -s "$WORK/T$T/block-$b.restart" ] || fail "T$T block $b missing"; done
  [ "$(grep -c '^  D_' "$WORK/T$T/D.txt")" = 4 ] || fail "T$T/D.txt: $(cat "$WORK/T$T/D.txt")"
  [ "$(awk 'NR > 1' "$WORK/T$T/lattice.txt" | wc -w)" = 4 ] || fail "T$T/lattice.txt"
  # one MSD row per MSD_EVERY steps of the block, starting at step 0
  [ "$(grep -vc '^#' "$WORK/T$T/block-001.msd")" = 31 ] || fail "T$T/block-001.msd rows"
done
grep -q "^Arrhenius D_total" "$WORK/arrhenius.txt" || fail "arrhenius.txt"
[ -s "$WORK/arrhenius.png" ] || fail "arrhenius.png"
# interrupted in the last block: that block alone is redone, from block 001's restart, identically
cp "$WORK/T2500/block-002.msd" "$WORK/block-002.ref"
rm "$WORK/T2500/block-002.msd" "$WORK/T2500/block-002.restart" "$WORK/T2500/D.txt" "$WORK/arrhenius.txt"
before=$(stat -c %Y "$WORK/T2500/block-001.msd" "$WORK/T1500/block-002.msd" "$WORK/T2500/equil.restart")
run > "$WORK.log2" 2>&1 || { tail -20 "$WORK.log2"; fail "the resumed MD driver failed"; }
[ "$(grep -c "^T = .* done" "$WORK.log2")" = 1 ] || fail "the resumed run redid $(grep -c "^T = .* done" "$WORK.log2") blocks, expected 1"
[ "$before" = "$(stat -c %Y "$WORK/T2500/block-001.msd" "$WORK/T1500/block-002.msd" "$WORK/T2500/equil.restart")" ] ||
  fail "finished blocks were rewritten"
cmp -s "$WORK/block-002.ref" "$WORK/T2500/block-002.msd" || fail "the redone block differs from the uninterrupted one"
echo "diffusion MD driver: ok"
