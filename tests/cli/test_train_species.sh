#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# `mtp train` keeps the species an initial potential names (`mtp init
# --species Li,P,S` -> labels 3,15,16): with relative types 0,1,2 (read in
# INIT's order) and with atomic-number types; types that fit neither, and a
# configuration mixing both, are an error; evaluation reads types the same way.  Writes WORKDIR/pot_LiPS.almtp for the LAMMPS element-name test.
# usage: test_train_species.sh MTP SHARED_DATA WORKDIR
set -u
MTP=$(realpath "$1") DATA=$(realpath "$2") WORK=$3
TRAIN=$DATA/mlip3/multispecies/train60.cfg   # types 0, 1, 2
[ -f "$TRAIN" ] || { echo "SKIP: $TRAIN not found (reference data beside the repository)"; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAILED: $2"; fail=1; fi; }
labels() { grep -a -P '^\t\t\d+-\d+$' "$1" | tr -d '\t' | tr '\n' ' '; }
want="3-3 3-15 3-16 15-3 15-15 15-16 16-3 16-15 16-16 "

"$MTP" init --level 6 --species Li,P,S -o init.almtp > /dev/null
check '[ $? -eq 0 ]' "init --species Li,P,S"
# a small slice keeps the test quick: 12 configurations
awk '/BEGIN_CFG/{n++} n<=12' "$TRAIN" > rel.cfg
"$MTP" train init.almtp rel.cfg --save_to=pot_LiPS.almtp --iteration_limit=3 --al_mode=none > train_rel.log 2>&1
rc=$?
check '[ $rc -eq 0 ]' "train with relative types"
check '[ "$(labels pot_LiPS.almtp)" = "$want" ]' "trained labels are 3,15,16 ($(labels pot_LiPS.almtp))"
check 'grep -q "0 -> 3 (Li) 1 -> 15 (P) 2 -> 16 (S)" train_rel.log' "the type mapping is logged"

# the same data with atomic-number types: labels kept, same potential
awk '/AtomData/{a=1; print; next} /Energy|PlusStress|Feature|END_CFG/{a=0} a{ $2 = ($2==0?3:($2==1?15:16)); printf "    %10d %4d  %13s %13s %13s", $1, $2, $3, $4, $5; for(i=6;i<=NF;i++) printf " %s", $i; print ""; next} {print}' rel.cfg > abs.cfg
"$MTP" train init.almtp abs.cfg --save_to=pot_abs.almtp --iteration_limit=3 --al_mode=none > train_abs.log 2>&1
rc=$?
check '[ $rc -eq 0 ]' "train with atomic-number types"
check '[ "$(labels pot_abs.almtp)" = "$want" ]' "labels 3,15,16 with atomic-number data"
check 'cmp -s pot_LiPS.almtp pot_abs.almtp' "relative and atomic-number data give the same potential"
# mixed: MLIP-style relative files plus atomic-number frames (as LAMMPS saves them)
awk '/BEGIN_CFG/{n++} n<=6' rel.cfg > mixed.cfg
awk '/BEGIN_CFG/{n++} n>6' abs.cfg >> mixed.cfg
"$MTP" train init.almtp mixed.cfg --save_to=pot_mixed.almtp --iteration_limit=3 --al_mode=none > train_mixed.log 2>&1
rc=$?
check '[ $rc -eq 0 ] && cmp -s pot_LiPS.almtp pot_mixed.almtp' "mixed relative and atomic-number data: the same potential"
# evaluation reads types as training does (mtp_potential_cfg_species): atomic-number types and
# relative ones (MLIP files, in the potential's order) give the same numbers; a configuration
# that mixes them, e.g. an H atom (type 1) among Li, P, S atoms, is an error, never P
"$MTP" calculate_efs pot_LiPS.almtp abs.cfg -o abs.efs.cfg > /dev/null 2>&1
rc=$?
check '[ $rc -eq 0 ]' "trained potential evaluates atomic-number types"
"$MTP" calculate_efs pot_LiPS.almtp rel.cfg -o rel.efs.cfg > /dev/null 2> efs_rel.err
rc=$?
check '[ $rc -eq 0 ] && diff <(grep -A1 "^ Energy" abs.efs.cfg) <(grep -A1 "^ Energy" rel.efs.cfg) > /dev/null' \
    "relative types evaluate as the potential's species, the same energies as atomic-number types"
awk '/AtomData/{a=1; print; next} /Energy|PlusStress|Feature|END_CFG/{a=0} a && !done{ $2 = 1; done=1; printf "    %10d %4d  %13s %13s %13s", $1, $2, $3, $4, $5; for(i=6;i<=NF;i++) printf " %s", $i; print ""; next} {print}' abs.cfg > stray.cfg
"$MTP" calculate_efs pot_LiPS.almtp stray.cfg -o stray.efs.cfg > /dev/null 2> efs_stray.err
rc=$?
check '[ $rc -ne 0 ] && grep -q "atom 1 has type 1, which the potential does not have (species labels 3 15 16; a configuration that uses them must use them for every atom)" efs_stray.err && [ ! -e stray.efs.cfg ]' \
    "an H (type 1) among atomic-number types is an error: $(cat efs_stray.err)"
"$MTP" train init.almtp stray.cfg --save_to=pot_stray.almtp --iteration_limit=2 --al_mode=none > train_stray.log 2>&1
rc=$?
check '[ $rc -ne 0 ] && grep -q "training configuration 1: atom 1 has type 1" train_stray.log && [ ! -e pot_stray.almtp ]' \
    "mtp train refuses the same configuration"

# types that are neither labels nor 0..2: an error, nothing written
sed 's/^\( *[0-9]\+\)    2 /\1    5 /' rel.cfg > bad.cfg
"$MTP" train init.almtp bad.cfg --save_to=pot_bad.almtp --iteration_limit=2 --al_mode=none > train_bad.log 2>&1
rc=$?
check '[ $rc -ne 0 ] && grep -q "type 5, which the potential does not have (species labels 3 15 16, or relative types 0..2)" train_bad.log && [ ! -e pot_bad.almtp ]' \
    "types 0,1,5 with species Li,P,S are an error"

# MLIP-3 behaviour unchanged for potentials that do not name species
"$MTP" init --level 6 --species 0,1,2 -o init012.almtp > /dev/null
"$MTP" train init012.almtp rel.cfg --save_to=pot012.almtp --iteration_limit=2 --al_mode=none > /dev/null 2>&1
check '[ "$(labels pot012.almtp)" = "0-0 0-1 0-2 1-0 1-1 1-2 2-0 2-1 2-2 " ]' "unnamed species: sorted data types"
exit $fail
