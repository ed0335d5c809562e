#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# `mtp cut_extrapolative_nbh`: MLIP-3's example reproduced byte for byte, the
# periodic mode on MLIP-3's graded cells, and its errors.
# usage: test_cut_cli.sh MTP SHARED_DATA WORKDIR
set -u
MTP=$(realpath "$1") DATA=$(realpath "$2") WORK=$3
EX=$DATA/mlip3/examples
if [ ! -f "$EX/cut_extrapolative_nbh/selected.cfg" ]; then
    echo "SKIP: $EX/cut_extrapolative_nbh not found (reference data beside the repository)"
    exit 77
fi
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail=0
check() { if ! eval "$1"; then echo "FAILED: $2"; fail=1; else echo "ok: $2"; fi; }

"$MTP" cut_extrapolative_nbh "$EX/cut_extrapolative_nbh/selected.cfg" spherical.cfg --cutoff=8 > out1.txt
rc=$?
check '[ $rc -eq 0 ]' "MLIP-3 mode runs"
check 'cmp spherical.cfg "$EX/cut_extrapolative_nbh/spherical.cfg"' "identical to MLIP-3's spherical.cfg"

# MLIP-3's graded cells are small (9.45 A, 54 atoms): written whole by --periodic
"$MTP" cut_extrapolative_nbh "$EX/calculate_grade/graded.cfg" whole.cfg --periodic \
    --potential="$EX/calculate_grade/pot.almtp" > out0.txt 2> err0.txt
rc=$?
check '[ $rc -eq 0 ] && [ $(grep -c "^BEGIN_CFG" whole.cfg) -eq 2 ] && grep -q "whole configuration" whole.cfg' \
    "configurations smaller than the cut are written whole"
check '! grep -q EnergyWeight whole.cfg' "whole configurations keep their energy weight"
# a big cell: the second graded configuration replicated 3 x 3 x 3 (1458 atoms, 28 A)
awk 'BEGIN{c=0} /BEGIN_CFG/{c++} c==2' "$EX/calculate_grade/graded.cfg" | awk '
  /Supercell/ {getline; a=$1; getline; getline; next}
  /AtomData/ {inatoms=1; next}
  /Feature|END_CFG|Energy|PlusStress/ {inatoms=0}
  inatoms {n++; t[n]=$2; x[n]=$3; y[n]=$4; z[n]=$5; g[n]=$NF}
  END {
    printf "BEGIN_CFG\n Size\n    %d\n Supercell\n    %f 0 0\n    0 %f 0\n    0 0 %f\n", 27*n, 3*a, 3*a, 3*a
    print " AtomData:  id type cartes_x cartes_y cartes_z nbh_grades"
    k=0
    for (i=0;i<3;i++) for (j=0;j<3;j++) for (l=0;l<3;l++) for (m=1;m<=n;m++)
      printf "%d %d %.6f %.6f %.6f %.5f\n", ++k, t[m], x[m]+i*a, y[m]+j*a, z[m]+l*a, g[m]
    print "END_CFG"
  }' > big.cfg
"$MTP" cut_extrapolative_nbh big.cfg cells.cfg --periodic \
    --potential="$EX/calculate_grade/pot.almtp" --core=1 > out2.txt 2> err2.txt
rc=$?
check '[ $rc -eq 0 ]' "periodic mode runs"
check '[ $(grep -c "^BEGIN_CFG" cells.cfg) -eq 1 ]' "one cell for the big configuration"
check '[ $(grep -c "^ Supercell" cells.cfg) -eq 1 ]' "the cell is periodic"
na=$(awk '/Size/{getline; print $1}' cells.cfg)
check '[ "$na" -gt 100 ] && [ "$na" -lt 1458 ]' "the cell ($na atoms) is smaller than the big configuration (1458)"
check 'grep -q "force_weight" cells.cfg' "force_weight column written"
check 'grep -q "EnergyWeight	0" cells.cfg' "energy weight 0 feature"
# trusted atoms (force_weight 1) reported = rows with weight 1
n1=$(awk '/AtomData/{fw=NF-1; inside=1; next} /Feature|END_CFG|Energy/{inside=0} inside && $fw+0==1 {c++} END{print c+0}' cells.cfg)
r1=$(sed -n 's/.*: [0-9]* atoms, .*, \([0-9]*\) trusted.*/\1/p' out2.txt | awk '{s+=$1} END{print s+0}')
check '[ "$n1" -ge 1 ] && [ "$n1" -eq "$r1" ]' "weight-1 atoms ($n1) = reported trusted atoms ($r1)"
check 'grep -q "closest pair across the new boundary" out2.txt' "cross-boundary distance reported"
# the cells are readable and the trusted atoms keep their MTP site energies:
# evaluated via calculate_efs the cell's energies exist (full check is test_cut)
"$MTP" calculate_efs "$EX/calculate_grade/pot.almtp" cells.cfg -o cells.efs.cfg > /dev/null 2>&1
rc=$?
check '[ $rc -eq 0 ]' "cells evaluate with the potential"

# several cells per configuration: the next centre is the worst atom not yet in a core
"$MTP" cut_extrapolative_nbh big.cfg multi.cfg --periodic \
    --potential="$EX/calculate_grade/pot.almtp" --threshold=2 --max_cells=3 --core=1 > out6.txt 2> err6.txt
rc=$?
n6=$(grep -c "^BEGIN_CFG" multi.cfg)
check '[ $rc -eq 0 ] && [ "$n6" -eq 3 ]' "--max_cells=3 gives 3 cells ($n6)"
check '[ $(grep "nbh#" multi.cfg | sort -u | wc -l) -eq "$n6" ]' "each cell has its own centre"
"$MTP" cut_extrapolative_nbh big.cfg merged.cfg --periodic \
    --potential="$EX/calculate_grade/pot.almtp" --threshold=2 --merge=3 > out7.txt 2> err7.txt
rc=$?
check '[ $rc -eq 0 ] && grep -q "nbh#	[0-9]*,[0-9]" merged.cfg' "--merge puts nearby extrapolative atoms into one cell"
nc7=$(sed -n 's/.*around atom(s) \([0-9,]*\) .*/\1/p' out7.txt | tr ',' '\n' | wc -l)
check 'grep -q "$nc7 trusted (of $nc7 core;" out7.txt' "every merged centre is a trusted core atom ($nc7)"

# errors
"$MTP" cut_extrapolative_nbh "$EX/calculate_grade/train.cfg" x.cfg > out3.txt 2> err3.txt
rc=$?
check '[ $rc -eq 1 ] && grep -q "no nbh_grades column" err3.txt && [ ! -e x.cfg ]' "input without grades is an error, no output"
"$MTP" cut_extrapolative_nbh spherical.cfg spherical.cfg > /dev/null 2> err4.txt
rc=$?
check '[ $rc -eq 2 ]' "refuses to overwrite the input"
"$MTP" cut_extrapolative_nbh "$EX/calculate_grade/graded.cfg" y.cfg --core=1 > /dev/null 2> err5.txt
rc=$?
check '[ $rc -eq 2 ] && grep -q "core" err5.txt' "periodic options need --periodic"
exit $fail
