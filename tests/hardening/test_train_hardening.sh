#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mtp train refuses what it cannot fit and resumes the run it continues (issue 10
# items 5, 6).  Self-contained: the training set is made here from random cells
# labelled by the fuzz seed potential (1 species, type 0).
# usage: test_train_hardening.sh MTP_BINARY SOURCE_DIR WORK_DIR data|options|species|resume
set -u
MTP=$1 SRC=$2 WORK=$3 WHAT=$4
LABELLER=$SRC/tests/fuzz/seeds/potential/level8-trained-1sp.almtp
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
pass=0 fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# fails WHAT CMD...: non-zero exit (not a signal), a message on stderr, no potential out.almtp
fails() { local what=$1; shift; rm -f out.almtp; "$@" > out.txt 2> err.txt; local rc=$?
          if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ -s err.txt ]; then ok; else bad "$what (exit $rc)"; cat err.txt; fi
          if [ -e out.almtp ]; then bad "$what: a potential was written"; fi; }
says() { if grep -q -- "$2" err.txt; then ok; else bad "$1: stderr lacks '$2'"; cat err.txt; fi; }
succeeds() { local what=$1; shift; "$@" > out.txt 2> err.txt || { bad "$what (exit $?)"; cat err.txt; return 1; }; ok; }

# 24 cells of 8 atoms (2x2x2 grid, spacing 3 A, +-0.3 A noise, +-5 % strain)
awk -v seed=7 -v n=24 'BEGIN { srand(seed); for (k = 0; k < n; k++) { s = 1 + 0.1 * (rand() - 0.5); a = 6 * s;
  print "BEGIN_CFG\n Size\n    8\n Supercell"; printf " %.6f 0 0\n 0 %.6f 0\n 0 0 %.6f\n", a, a, a
  print " AtomData:  id type cartes_x cartes_y cartes_z"; id = 0
  for (i = 0; i < 2; i++) for (j = 0; j < 2; j++) for (l = 0; l < 2; l++)
    printf "   %d 0 %.6f %.6f %.6f\n", ++id, 3*s*i + 0.6*(rand()-0.5), 3*s*j + 0.6*(rand()-0.5), 3*s*l + 0.6*(rand()-0.5)
  print "END_CFG\n" } }' > pos.cfg
"$MTP" calculate_efs "$LABELLER" pos.cfg -o data.cfg > /dev/null 2>&1 || { echo "cannot label the training set"; exit 1; }
"$MTP" init --level 8 --cutoff 4.0 -o init.almtp > /dev/null || { echo "mtp init failed"; exit 1; }
awk '/BEGIN_CFG/ { n++ } n <= 6' data.cfg > d6.cfg
# cfg_edit N AWK-BODY < in > out: run AWK-BODY on the lines of configuration N only
cfg_edit() { awk -v N="$1" "/BEGIN_CFG/ { n++ } n == N { $2 } { print }"; }
TR=(--save_to=out.almtp --iteration_limit=3 --log=none)

case $WHAT in
data)
    # no energies, forces or stresses: nothing to fit
    awk '/Energy|PlusStress/ { getline; next } /AtomData/ { print " AtomData:  id type cartes_x cartes_y cartes_z"; a = 1; next }
         /END_CFG/ { a = 0 } a { print $1, $2, $3, $4, $5; next } { print }' d6.cfg > none.cfg
    fails "configurations without targets" "$MTP" train init.almtp none.cfg "${TR[@]}"
    says "nothing to fit is named" "none.cfg: nothing to fit: none of the 6 configurations has an energy, forces or a stress"
    # targets present but every one weighted 0 by the configurations' features
    awk '/END_CFG/ { print " Feature Weight 0" } { print }' d6.cfg > w0.cfg
    fails "all configuration weights 0" "$MTP" train init.almtp w0.cfg "${TR[@]}"
    says "weights 0 are named" "nothing to fit: 6 of 6 configurations have an energy, 6 forces, 6 a stress, but all with weight 0"
    # forces only (energy and stress weights 0): fitted, not refused
    succeeds "forces only" "$MTP" train init.almtp d6.cfg "${TR[@]}" --energy_weight=0 --stress_weight=0
    # one absurd energy: an error naming file and configuration, no potential
    cfg_edit 4 'if (e) { print "   1e300"; e = 0; next } if (/Energy/) e = 1' < d6.cfg > e300.cfg
    fails "energy 1e300" "$MTP" train init.almtp e300.cfg "${TR[@]}"
    says "the absurd energy is located" "e300.cfg: configuration 4: energy 1e+300 eV"
    cfg_edit 2 'if (/^ +3 +0 /) { $6 = "1e200" }' < d6.cfg > f200.cfg
    fails "force 1e200" "$MTP" train init.almtp f200.cfg "${TR[@]}"
    says "the absurd force is located" "f200.cfg: configuration 2: atom 3: force component 1e+200 eV/A is absurd"
    cfg_edit 5 'if (s) { $1 = "-1e200"; s = 0 } if (/PlusStress/) s = 1' < d6.cfg > s200.cfg
    fails "stress 1e200" "$MTP" train init.almtp s200.cfg "${TR[@]}"
    says "the stress is located" "s200.cfg: configuration 5: stress (virial) component 1 = -1e+200 eV is absurd"
    # an absurd cell (a units or parsing accident; it also overflowed the neighbour bins)
    cfg_edit 2 'if (c == 2) { $2 = "3e107" } if (c) c++; if (/Supercell/) c = 1' < d6.cfg > cell.cfg
    fails "cell vector 3e107 A" "$MTP" train init.almtp cell.cfg "${TR[@]}"
    says "the cell is located" "cell.cfg: configuration 2: cell vector 2 has the component 3e+107 A"
    # a loss that would overflow (radial coefficients 1e150 in a trained INIT): an error, no
    # potential.  The potential reader bounds every trained potential's energies in its range
    # (docs/formats.md), so such an INIT is refused before training; the trainer's own check of
    # the loss (not_finite in fitter/fit.c) stays behind it for losses that overflow on the way
    awk '/radial_coeffs/ { print; getline; print; getline; print "\t\t\t{1e150, -1e150}"; getline;
         print "\t\t\t{1e150, 1e150}"; next } 1' "$LABELLER" > big.almtp
    fails "overflowing loss" "$MTP" train big.almtp d6.cfg "${TR[@]}" --optimizer=bfgs
    says "the overflowing INIT is refused" "big.almtp:13: radial_coeffs block 0-0 row 1:"
    # the validation set is checked too
    fails "absurd validation energy" "$MTP" train init.almtp d6.cfg "${TR[@]}" --valid_cfgs=e300.cfg
    says "validation file named" "e300.cfg: configuration 4: energy"
    ;;
options)
    for o in --energy_weight=-1 --force_weight=-0.5 --stress_weight=-1e-3 --penalty_weight=-1 --energy_weight=nan \
             --iteration_limit=-5 --tolerance=-1 --max_time=-10 --restarts=-1 --wolfe_c2=1.5; do
        fails "option $o" "$MTP" train init.almtp d6.cfg "${TR[@]}" "$o"
        says "option $o named" "${o%%=*}"
    done
    fails "all weights 0" "$MTP" train init.almtp d6.cfg "${TR[@]}" --energy_weight=0 --force_weight=0 --stress_weight=0
    says "all weights 0 explained" "are all 0: nothing would be fitted"
    succeeds "iteration_limit=0 (linear fit only)" "$MTP" train init.almtp d6.cfg "${TR[@]}" --iteration_limit=0
    ;;
species)
    # a stray type in one configuration of a 1-species set: refused, named, unless asked for
    cfg_edit 3 'if (/^ +5 +0 /) { $2 = 1 }' < d6.cfg > stray.cfg
    fails "stray type" "$MTP" train init.almtp stray.cfg "${TR[@]}"
    says "stray type located" "stray.cfg: configuration 3: type 1 occurs in no other training configuration"
    says "type counts listed" "type 0: 47 atoms in 6 configurations; type 1: 1 atom in 1 configuration"
    rm -f out.almtp
    succeeds "--allow_rare_species" "$MTP" train init.almtp stray.cfg "${TR[@]}" --allow_rare_species
    says "the growth to 2 species is said" "the initial potential has 1 species, the training data 2 types"
    if grep -q "^species_count = 2" out.almtp; then ok; else bad "--allow_rare_species: 2 species"; fi
    # types the potential will not have: refused up front, naming file, configuration and atom
    fails "validation type not in the training data" "$MTP" train init.almtp d6.cfg "${TR[@]}" --valid_cfgs=stray.cfg
    says "validation type located" "stray.cfg: configuration 3: atom 5: type 1 is not a species of the potential (0)"
    fails "type unknown to a trained INIT" "$MTP" train "$LABELLER" stray.cfg "${TR[@]}"
    says "unknown type located" "stray.cfg: configuration 3: atom 5: type 1 is not a species of the potential (0)"
    # a second species in two configurations: accepted (MLIP-3), said on stderr
    { cfg_edit 3 'if (/^ +5 +0 /) { $2 = 1 }' | cfg_edit 4 'if (/^ +5 +0 /) { $2 = 1 }'; } < d6.cfg > two.cfg
    succeeds "a type in two configurations" "$MTP" train init.almtp two.cfg "${TR[@]}"
    says "the species change is said" "so the potential gets 2 species"
    # named species are kept: relative type 0 is Li, the labels stay 3 (INIT's, not the data's)
    "$MTP" init --level 8 --cutoff 4.0 --species Li -o li.almtp > /dev/null
    succeeds "named species, relative data" "$MTP" train li.almtp d6.cfg "${TR[@]}"
    if grep -qP '^\t\t3-3$' out.almtp; then ok; else bad "INIT's label 3 (Li) kept"; fi
    mv out.almtp rel.almtp
    sed 's/^\( *[0-9]\+\) \+0 /\1 3 /' d6.cfg > abs.cfg
    succeeds "named species, atomic-number data" "$MTP" train li.almtp abs.cfg "${TR[@]}"
    if cmp -s out.almtp rel.almtp; then ok; else bad "relative and atomic-number data: the same potential"; fi
    "$MTP" init --level 8 --cutoff 4.0 --species Li,Na -o lina.almtp > /dev/null
    succeeds "named species without atoms" "$MTP" train lina.almtp abs.cfg "${TR[@]}"
    says "a species without data is said" "species 11 (Na) of the initial potential has no atoms"
    ;;
resume)
    R=(--checkpoint_interval=0 --log=stdout)
    # run NAME [ARGS]: train with checkpoints every iteration into NAME.almtp, log NAME.log
    run() { local n=$1; shift; "$MTP" train init.almtp data.cfg --save_to="$n.almtp" --checkpoint="$n.ckpt" "${R[@]}" "$@" \
            > "$n.log" 2> "$n.err"; }
    final() { grep -h '^# final loss\|iterations; potential written' "$1" | sed 's/, [0-9.]* s)/)/; s/ written to .*//'; }
    same() { # same NAME_A NAME_B: bit-identical potentials, same iterations and final loss
        if cmp -s "$1.almtp" "$2.almtp"; then ok; else bad "$2.almtp differs from $1.almtp"; fi
        if [ -n "$(final "$1.log")" ] && [ "$(final "$1.log")" = "$(final "$2.log")" ]; then ok
        else bad "$2: iterations/final loss differ"; final "$1.log"; final "$2.log"; fi; }
    # varpro: 60 steps, killed at steps 20 and 50; bfgs: 75 pre-training steps + 15, killed in both phases
    for spec in varpro:60:20,50 bfgs:15:30,82; do
        IFS=: read -r opt its kills <<< "$spec"
        run "u_$opt" --optimizer=$opt --iteration_limit=$its || bad "uninterrupted $opt run"
        # killed (SIGKILL, no cleanup) right after a checkpoint
        for at in ${kills//,/ }; do
            n=k_${opt}_$at
            OPENMTP_TEST_KILL_AFTER_CHECKPOINTS=$at run "$n" --optimizer=$opt --iteration_limit=$its 2> /dev/null; rc=$?
            if [ "$rc" -eq 137 ] && [ -s "$n.ckpt" ] && [ ! -e "$n.almtp" ]; then ok; else bad "$n: killed with a checkpoint (exit $rc)"; fi
            mv "$n.log" "$n.killed.log"
            run "$n" --optimizer=$opt --iteration_limit=$its --resume || { bad "$n: --resume failed"; cat "$n.err"; }
            grep -q "# resuming from checkpoint $n.ckpt" "$n.log" && ok || bad "$n: not resumed"
            same "u_$opt" "$n"
            [ ! -e "$n.ckpt" ] && ok || bad "$n: checkpoint left after success"
        done
    done
    # restarts (varpro, --max_time large enough never to cut): killed in restart 1
    RS=(--iteration_limit=20 --max_time=1e6 --restarts=1)
    run u_rs "${RS[@]}" || bad "uninterrupted restarts run"
    OPENMTP_TEST_KILL_AFTER_CHECKPOINTS=30 run k_rs "${RS[@]}"
    run k_rs "${RS[@]}" --resume
    grep -q "# resuming from checkpoint k_rs.ckpt: restart 1" k_rs.log && ok || bad "k_rs: resumed in restart 1"
    same u_rs k_rs
    # a real kill -9 at an arbitrary moment (checkpoints are atomic: any one left is whole)
    "$MTP" train init.almtp data.cfg --save_to=k_async.almtp --checkpoint=k_async.ckpt "${R[@]}" --optimizer=bfgs \
        --iteration_limit=15 > k_async.log 2> k_async.err &
    pid=$!   # mtp itself, not a subshell
    for _ in $(seq 500); do grep -q "iter   40" k_async.log 2> /dev/null && break; sleep 0.02; done
    kill -9 $pid; wait $pid 2> /dev/null; rc=$?
    if [ "$rc" -eq 137 ] && [ -s k_async.ckpt ] && [ ! -e k_async.almtp ]; then ok
    else bad "asynchronous kill -9 (exit $rc; finished first?)"; fi
    run k_async --optimizer=bfgs --iteration_limit=15 --resume || { bad "k_async: --resume failed"; cat k_async.err; }
    same u_bfgs k_async
    # the resumed command must be the same run: other options or data are refused
    OPENMTP_TEST_KILL_AFTER_CHECKPOINTS=5 run m --iteration_limit=10
    run m --iteration_limit=10 --resume --energy_weight=2; rc=$?
    if [ "$rc" -ne 0 ] && grep -q "belongs to another run: it was written with --energy_weight=[0-9.e+-]*, this command has --energy_weight=2" m.err; then ok
    else bad "a resume with another energy weight is refused (exit $rc)"; cat m.err; fi
    awk '/BEGIN_CFG/ { n++ } n <= 20' data.cfg > d20.cfg
    "$MTP" train init.almtp d20.cfg --save_to=m.almtp --checkpoint=m.ckpt "${R[@]}" --iteration_limit=10 --resume > m.log 2> m.err; rc=$?
    if [ "$rc" -ne 0 ] && grep -q "the training configurations differ" m.err; then ok; else bad "other data refused"; cat m.err; fi
    cp "$LABELLER" m.ckpt
    run m --iteration_limit=10 --resume; rc=$?
    if [ "$rc" -ne 0 ] && grep -q "m.ckpt:1: expected 'openmtp_train_checkpoint 1'" m.err; then ok
    else bad "a potential as checkpoint is refused (exit $rc)"; cat m.err; fi
    # --resume without a checkpoint starts afresh (the first start of a job script)
    rm -f n.ckpt; run n --iteration_limit=10 --resume || bad "--resume without a checkpoint"
    "$MTP" train init.almtp data.cfg --save_to=n0.almtp --checkpoint=n0.ckpt "${R[@]}" --iteration_limit=10 > n0.log 2>&1
    same n0 n
    ;;
*) echo "unknown check $WHAT"; exit 2 ;;
esac
echo "train $WHAT: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
