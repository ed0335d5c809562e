#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end checks of the `mtp` command against MLIP-3's outputs and on bad input.
# usage: test_cli.sh MTP_BINARY SHARED_DATA_DIR WORK_DIR
set -u
MTP=$1 DATA=$2/mlip3 WORK=$3
if [ ! -d "$DATA" ]; then echo "SKIP: reference data not found at $DATA"; exit 77; fi
mkdir -p "$WORK" && cd "$WORK" || exit 1
pass=0 fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok; else bad "$what"; fi; }

# calculate_efs reproduces MLIP-3's files byte for byte
"$MTP" calculate_efs "$DATA/examples/calculate_efs/pot.almtp" "$DATA/examples/calculate_efs/train.cfg" \
    --output_filename=calc.cfg 2>/dev/null
check "calculate_efs output identical to MLIP-3 (Li, level 6)" cmp calc.cfg "$DATA/examples/calculate_efs/calculated.cfg"
"$MTP" calculate_efs "$DATA/multispecies/learned.mtp" "$DATA/multispecies/NaCl_small.cfgs" -o nacl.cfg 2>/dev/null
check "calculate_efs output identical to MLIP-3 (NaCl, MLIP-2 file)" cmp nacl.cfg "$DATA/multispecies/NaCl_small.learned.cfg"
# the input is never overwritten, and the default name is derived from it
cp "$DATA/examples/calculate_efs/train.cfg" in.cfg
check "calculate_efs refuses to overwrite its input" bash -c "! '$MTP' calculate_efs '$DATA/examples/calculate_efs/pot.almtp' in.cfg --output_filename=in.cfg"
check "input unchanged" cmp in.cfg "$DATA/examples/calculate_efs/train.cfg"
"$MTP" calculate_efs "$DATA/examples/calculate_efs/pot.almtp" in.cfg 2>/dev/null
check "default output name in.efs.cfg" cmp in.efs.cfg "$DATA/examples/calculate_efs/calculated.cfg"

# check_errors prints MLIP-3's report, then MAE/RMSE
"$MTP" check_errors "$DATA/examples/check_errors/pot.almtp" "$DATA/examples/check_errors/train.cfg" \
    --report_to=report.txt --log=per_cfg.log > stdout.txt 2>/dev/null
check "check_errors report identical to MLIP-3" cmp <(head -n 38 report.txt) "$DATA/examples/check_errors/errors.txt"
check "check_errors prints MAE" grep -q "Forces            MAE" stdout.txt
check "check_errors --log has one line per configuration" test "$(wc -l < per_cfg.log)" -eq 2
check "no 'Left out' line without weight columns/features" bash -c "! grep -q 'Left out' report.txt"

# check_errors leaves out what the fit ignores: configuration 1 gets a force_weight column
# with atom 1 at weight 0 and a force of 1000 eV/A; configuration 2 gets EnergyWeight 0 and
# StressWeight 0 and an energy and a stress off by 1000.  Energy and stress errors must then
# be those of configuration 1 alone, and the forces those of the other 255 atoms.
awk '/BEGIN_CFG/ { n++ }
     n == 1 && /AtomData:/ { print $0 "  force_weight"; atoms = 1; next }
     atoms && /^ *(Energy|PlusStress|Feature|END_CFG)/ { atoms = 0 }
     atoms { if ($1 == 1) { $6 = "1000.0"; print $0, 0 } else print $0, 1; next }
     n == 2 && /^ *Energy/ { print; getline; print $1 + 1000; next }
     n == 2 && /^ *PlusStress/ { print; getline; $1 += 1000; print; next }
     n == 2 && /END_CFG/ { print " Feature   EnergyWeight\t0"; print " Feature   StressWeight\t0" }
     { print }' "$DATA/examples/check_errors/train.cfg" > weighted.cfg
awk '/BEGIN_CFG/ { n++ } n == 1' "$DATA/examples/check_errors/train.cfg" > first.cfg
"$MTP" check_errors "$DATA/examples/check_errors/pot.almtp" weighted.cfg > weighted.txt 2>&1
"$MTP" check_errors "$DATA/examples/check_errors/pot.almtp" first.cfg > first.txt 2>&1
block() { awk -v t="$1" '$0 == t ":" { f = 1 } f && /^$/ { exit } f' "$2"; }
for b in "Energy" "Energy per atom" "Stresses (in energy units)" "Virial stresses (in pressure units)"; do
    check "weight 0: '$b' errors are those of the weighted configuration alone" \
        bash -c "[ -n \"\$(awk -v t='$b' '\$0 == t \":\"' first.txt)\" ] && cmp <($(declare -f block); block '$b' weighted.txt) <($(declare -f block); block '$b' first.txt)"
done
check "weight 0: 255 of 256 atoms' forces checked" grep -q "Errors checked for 255 atoms" weighted.txt
check "weight 0: the 1000 eV/A force is not counted" \
    awk '/^Forces:/ { f = 1 } f && /Maximal absolute difference/ { exit !($NF < 10) }' weighted.txt
check "weight 0: one line says what was left out" \
    grep -qx "Left out (weight 0, not fitted): forces of 1 atoms, energies of 1 configurations, stresses of 1 configurations" weighted.txt
# mtp train's own TRAIN ERRORS report follows the same rule
"$MTP" train "$DATA/examples/check_errors/pot.almtp" weighted.cfg --save_to=wtrain.almtp --iteration_limit=2 \
    --al_mode=none --log=none > wtrain.txt 2>&1
check "mtp train's report leaves out the weight-0 values too" \
    bash -c "grep -q 'Errors checked for 255 atoms' wtrain.txt && grep -q '^Left out (weight 0, not fitted): forces of 1 atoms, energies of 1 configurations, stresses of 1 configurations' wtrain.txt"
sed 's/EnergyWeight\t0/EnergyWeight\tnone/' weighted.cfg > badweight.cfg
if "$MTP" check_errors "$DATA/examples/check_errors/pot.almtp" badweight.cfg > badweight.txt 2>&1; then bad "check_errors accepted EnergyWeight 'none'"
else check "check_errors rejects an invalid weight feature with its place" grep -q "badweight.cfg: configuration 2: feature EnergyWeight = 'none' is not a non-negative number" badweight.txt; fi

# calculate_grade reproduces MLIP-3's extrapolation grades in both active-learning modes
"$MTP" calculate_grade "$DATA/examples/calculate_grade/pot.almtp" "$DATA/examples/calculate_grade/train.cfg" graded.cfg 2>/dev/null
check "calculate_grade identical to MLIP-3 (neighbourhood mode)" cmp graded.cfg "$DATA/examples/calculate_grade/graded.cfg"
"$MTP" calculate_grade "$DATA/multispecies/pot10.almtp" "$DATA/multispecies/test3.cfg" graded3.cfg 2>/dev/null
check "calculate_grade identical to MLIP-3 (configuration mode)" cmp graded3.cfg "$DATA/multispecies/test3.graded.cfg"
# select rebuilds MLIP-3's active sets from the training sets: the same grades
"$MTP" select "$DATA/examples/calculate_grade/pot.almtp" "$DATA/examples/check_errors/train.cfg" --save_to=rebuilt.almtp > /dev/null
"$MTP" calculate_grade rebuilt.almtp "$DATA/examples/calculate_grade/train.cfg" regraded.cfg 2>/dev/null
check "select + calculate_grade reproduce MLIP-3 (neighbourhood mode)" cmp regraded.cfg "$DATA/examples/calculate_grade/graded.cfg"
"$MTP" select "$DATA/multispecies/pot10.almtp" "$DATA/multispecies/train60.cfg" --al_mode=cfg --save_to=rebuilt10.almtp > /dev/null
"$MTP" calculate_grade rebuilt10.almtp "$DATA/multispecies/test3.cfg" regraded3.cfg 2>/dev/null
check "select + calculate_grade reproduce MLIP-3 (configuration mode)" cmp <(grep MV_grade regraded3.cfg) <(grep MV_grade "$DATA/multispecies/test3.graded.cfg")
check "calculate_grade needs an active-learning state" bash -c "! '$MTP' calculate_grade '$DATA/multispecies/learned.mtp' '$DATA/multispecies/NaCl_small.cfgs' x.cfg"

# convert: OUTCAR import as MLIP does, and round trips through other formats
"$MTP" convert --input_format=outcar "$DATA/examples/convert_outcar/OUTCAR" relax.cfg 2>/dev/null
check "convert OUTCAR identical to MLIP-3" cmp relax.cfg "$DATA/examples/convert_outcar/relax.cfg"
"$MTP" convert "$DATA/examples/calculate_efs/calculated.cfg" calc.bin --output_format=bin 2>/dev/null
"$MTP" convert calc.bin calc_back.cfg 2>/dev/null
check "cfg -> bin -> cfg is lossless at print precision" cmp calc_back.cfg "$DATA/examples/calculate_efs/calculated.cfg"
"$MTP" convert "$DATA/multispecies/test3.cfg" test3.xyz --type_order=Li,Ti,O 2>/dev/null
"$MTP" calculate_efs "$DATA/multispecies/pot10.almtp" test3.xyz --type_order=Li,Ti,O -o test3_from_xyz.cfg 2>/dev/null
"$MTP" calculate_efs "$DATA/multispecies/pot10.almtp" "$DATA/multispecies/test3.cfg" -o test3_from_cfg.cfg 2>/dev/null
check "calculate_efs reads extended XYZ" cmp test3_from_xyz.cfg test3_from_cfg.cfg

# malformed inputs: clear "file:line:" message and a non-zero exit, never a crash
for k in 1 2 3 4 5 6 7 8 9; do
    f="$DATA/configurations/errorneous/$k.cfg"
    "$MTP" calculate_efs "$DATA/examples/calculate_efs/pot.almtp" "$f" -o err$k.cfg 2> err$k.txt
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "$f:[0-9]*: " err$k.txt && [ ! -e err$k.cfg ]; then ok; else bad "errorneous/$k.cfg (exit $rc): $(cat err$k.txt)"; fi
done
check "missing potential is an error" bash -c "! '$MTP' calculate_efs nothing.almtp in.cfg -o x.cfg"
check "unknown option is an error" bash -c "! '$MTP' calculate_efs a b --bogus=1"
check "unknown command is an error" bash -c "! '$MTP' frobnicate"

# training: active set stored with the potential, per-configuration weights
MLEARN=$2/mlearn/Si/train.cfg
if [ -f "$MLEARN" ]; then
    awk '/BEGIN_CFG/ { n++ } n <= 12' "$MLEARN" > si12.cfg
    "$MTP" init --level 8 --species 0 --cutoff 5.0 -o si_init.almtp > /dev/null
    "$MTP" train si_init.almtp si12.cfg --save_to=si_al.almtp --iteration_limit=15 --al_mode=cfg --log=none > train_al.log 2>&1
    "$MTP" calculate_grade si_al.almtp si12.cfg si12_graded.cfg 2> /dev/null
    check "a trained potential grades its own training set <= 1.001 (cfg mode)" \
        awk '/MV_grade/ { if ($3 > 1.001 + 1e-6) bad = 1 } END { exit bad }' si12_graded.cfg
    # the derived weights: MLIP-3's rank-one MaxVol updates alone drift on this set (training atoms
    # grading up to 1.019 against the stored A^-1); mtp train confirms with a fresh inverse
    "$MTP" train si_init.almtp si12.cfg --save_to=si_nbh.almtp --iteration_limit=15 --al_mode=nbh --log=none \
        > /dev/null 2>&1
    "$MTP" calculate_grade si_nbh.almtp si12.cfg si12_nbh.cfg 2> /dev/null
    check "a trained potential grades its own training atoms <= 1.001 (nbh mode)" \
        awk '/MV_grade/ { if ($3 > 1.001 + 1e-6) bad = 1 } END { exit bad }' si12_nbh.cfg
    "$MTP" select si_nbh.almtp si12.cfg --fresh_inverse --save_to=si_sel.almtp > /dev/null
    "$MTP" calculate_grade si_sel.almtp si12.cfg si12_sel.cfg 2> /dev/null
    check "select --fresh_inverse: every training atom grades <= 1.001" \
        awk '/MV_grade/ { if ($3 > 1.001 + 1e-6) bad = 1 } END { exit bad }' si12_sel.cfg
    check "select --fresh_inverse=maybe is an error" bash -c "! '$MTP' select si_nbh.almtp si12.cfg --fresh_inverse=maybe --save_to=x.almtp 2> /dev/null"
    # configuration 3 weighted up 1000x in energy: its energy error must shrink
    awk '/BEGIN_CFG/ { n++ } /END_CFG/ && n == 3 { print " Feature   EnergyWeight\t1000" } { print }' si12.cfg > si12w.cfg
    "$MTP" train si_init.almtp si12w.cfg --save_to=si_w.almtp --iteration_limit=15 --al_mode=none --log=none > /dev/null 2>&1
    "$MTP" train si_init.almtp si12.cfg --save_to=si_u.almtp --iteration_limit=15 --al_mode=none --log=none > /dev/null 2>&1
    e3() { "$MTP" calculate_efs "$1" si12.cfg -o efs_$1.cfg 2> /dev/null
           paste <(awk '/Energy/ { getline; print $1 }' efs_$1.cfg) <(awk '/Energy/ { getline; print $1 }' si12.cfg) |
           awk 'NR == 3 { d = $1 - $2; print (d < 0 ? -d : d) }'; }
    ew=$(e3 si_w.almtp) eu=$(e3 si_u.almtp)
    check "EnergyWeight 1000 shrinks that configuration's energy error ($ew vs $eu eV)" \
        awk -v w="$ew" -v u="$eu" 'BEGIN { exit !(w < 0.5 * u) }'
    sed 's/EnergyWeight\t1000/EnergyWeight\tlots/' si12w.cfg > si12bad.cfg
    if "$MTP" train si_init.almtp si12bad.cfg --save_to=x.almtp --log=none > bad_w.log 2>&1; then bad "weight 'lots' accepted"
    else check "an invalid weight feature is rejected with a message" grep -q "not a non-negative number" bad_w.log; fi
else
    echo "SKIP: training checks need $MLEARN"
fi

# help for every command, init of any level
for c in calculate_efs calculate_grade check_errors convert mindist init select help; do
    check "help $c" bash -c "'$MTP' help $c | grep -q '^mtp $c'"
done
"$MTP" init --level 16 --species Li,P,S --cutoff 5.0 -o l16.almtp > /dev/null
check "init writes a readable level-16 potential" grep -q "alpha_scalar_moments = 92" l16.almtp
check "mindist" bash -c "'$MTP' mindist '$DATA/examples/calculate_efs/train.cfg' --no_overwrite | grep -q 'Global mindist: 2.0929'"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
