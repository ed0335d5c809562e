#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Potential-file validation (issue 10 item 2, issue 12 item 6): every broken
# potential is refused at read time with `file:line: what was expected` and a
# non-zero exit, never evaluated into NaN, a crash or gigabytes of memory;
# LAMMPS' "# DATE: ... UNITS: ..." header line is read and non-metal units refused.
# usage: test_potential_validation.sh MTP_BINARY SOURCE_DIR WORK_DIR CLASS
#   CLASS: basis | scaling | magnitude | memory | lines | active_set | range | lammps_header
set -u
MTP=$1 SRC=$2 WORK=$3 WHAT=$4
POT=$SRC/tests/fuzz/seeds/potential/level8-trained-1sp.almtp   # 23 lines, trained, 1 species
POT2=$SRC/tests/fuzz/seeds/potential/mlip2-repulsive-2sp.mtp
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
pass=0 fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# refused FILE NEEDLE [COMMAND...]: evaluating with potential FILE exits non-zero (not by a
# signal), writes no output, and stderr contains NEEDLE (typically "FILE:LINE: field")
refused() { local f=$1 needle=$2; rm -f efs.cfg
    "$MTP" calculate_efs "$f" one.cfg -o efs.cfg > out.txt 2> err.txt; local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ ! -e efs.cfg ]; then ok; else bad "$f accepted or crashed (exit $rc)"; fi
    if grep -qF -- "$needle" err.txt; then ok; else bad "$f: stderr lacks '$needle'"; fi
    cat err.txt; }
accepted() { rm -f "$2"; if "$MTP" calculate_efs "$1" one.cfg -o "$2" > out.txt 2> err.txt; then ok; else bad "$1 refused"; cat err.txt; fi; }
# put FILE LINE_NUMBER TEXT: replace one line of the seed
put() { awk -v n="$2" -v t="$3" 'NR == n { print t; next } 1' "$POT" > "$1"; }

cat > one.cfg <<'CFG'
BEGIN_CFG
 Size
    3
 Supercell
 8 0 0
 0 8 0
 0 0 8
 AtomData:  id type cartes_x cartes_y cartes_z
   1 0 0.0 0.0 0.0
   2 0 2.5 0.0 0.0
   3 0 0.0 2.7 0.3
END_CFG
CFG

case $WHAT in
basis)
    # tensor powers whose sum overflows int used to pass the "sum <= 64" check (and crash)
    put ovf.almtp 17 "alpha_index_basic = {{0, 0, 0, 0}, {0, 2147483647, 2147483647, 3}, {0, 0, 1, 0}, {0, 0, 0, 1}, {0, 2, 0, 0}, {0, 1, 1, 0}, {0, 1, 0, 1}, {0, 0, 2, 0}, {0, 0, 1, 1}, {0, 0, 0, 2}, {1, 0, 0, 0}}"
    refused ovf.almtp "ovf.almtp:17: alpha_index_basic entry 2"
    put neg.almtp 17 "alpha_index_basic = {{0, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, -1, 2}, {0, 0, 0, 1}, {0, 2, 0, 0}, {0, 1, 1, 0}, {0, 1, 0, 1}, {0, 0, 2, 0}, {0, 0, 1, 1}, {0, 0, 0, 2}, {1, 0, 0, 0}}"
    refused neg.almtp "neg.almtp:17: alpha_index_basic entry 3"
    # a product that reads a moment before it is complete, and a moment nothing defines
    put early.almtp 19 "alpha_index_times = {{0, 0, 1, 11}, {1, 1, 1, 12}, {2, 2, 1, 12}, {0, 12, 1, 13}, {3, 3, 1, 12}, {0, 10, 1, 14}, {4, 4, 1, 15}, {5, 5, 2, 15}, {6, 6, 2, 15}, {7, 7, 1, 15}, {8, 8, 2, 15}, {9, 9, 1, 15}, {0, 12, 1, 16}, {0, 13, 1, 17}}"
    refused early.almtp "early.almtp:19: alpha_index_times entry 4"
    put self.almtp 19 "alpha_index_times = {{0, 0, 1, 11}, {1, 1, 1, 12}, {2, 2, 1, 12}, {3, 3, 1, 12}, {0, 11, 1, 13}, {0, 10, 1, 14}, {4, 4, 1, 15}, {5, 5, 2, 15}, {6, 6, 2, 15}, {7, 7, 1, 15}, {8, 8, 2, 15}, {9, 9, 1, 15}, {0, 12, 1, 16}, {0, 17, 1, 17}}"
    refused self.almtp "self.almtp:19: alpha_index_times entry 14"
    put undefined.almtp 15 "alpha_moments_count = 19"
    refused undefined.almtp "undefined.almtp:15: moment 18"
    ;;
scaling)
    for s in 0 -1 -0.5 1e308 nan inf; do
        awk -v s="$s" 'NR == 4 { print "scaling = " s } 1' "$POT" > "scaling$s.almtp"
        refused "scaling$s.almtp" "scaling$s.almtp:4: scaling"
    done
    # the inner scaling (inside the radial-basis block) too
    awk 'NR == 7 { print "\tscaling = 0" } 1' "$POT" > inner0.almtp
    refused inner0.almtp "inner0.almtp:7: scaling"
    # a legitimate positive scaling still reads and evaluates
    awk 'NR == 4 { print "scaling = 5.0e-02" } 1' "$POT" > scaling-ok.almtp
    accepted scaling-ok.almtp ok.cfg
    ;;
magnitude)
    # finite numbers in the file whose potential overflows within its own range
    put rc308.almtp 13 "			{1e308, -2.0e-01}"
    refused rc308.almtp "rc308.almtp:13: radial_coeffs block 0-0 row 1"
    put rc150.almtp 14 "			{3.0e-02, 1e150}"
    refused rc150.almtp "rc150.almtp:14: radial_coeffs block 0-0 row 2"
    awk 'NR == 4 { print "scaling = 1e300" } 1' "$POT" > sc300.almtp
    refused sc300.almtp "sc300.almtp:14: radial_coeffs block 0-0 row"
    put mc.almtp 23 "moment_coeffs = {1.0e-02, -2.0e-03, 3.0e-03, 1.0e-03, -1.0e-03, 2.0e-04, 1.0e-04, -5.0e-05, 1e250}"
    refused mc.almtp "mc.almtp:23: moment_coeffs item 9"
    put sp.almtp 22 "species_coeffs = {1e250}"
    refused sp.almtp "sp.almtp:22: species_coeffs item 1"
    # non-finite numbers are refused where they stand
    put rcnan.almtp 14 "			{3.0e-02, nan}"
    refused rcnan.almtp "rcnan.almtp:14: radial_coeffs: item 2 is not a finite number"
    put rcinf.almtp 13 "			{1e309, -2.0e-01}"
    refused rcinf.almtp "rcinf.almtp:13: radial_coeffs: item 1 is not a finite number"
    ;;
memory)
    # counts the file does not back are never allocated: main allocated (and touched) 0.6 GB for
    # the first and reserved 0.16-1.6 GB for the others before finding the items missing
    limit_kb=200000
    for c in "m|15s/.*/alpha_moments_count = 10000000/|alpha_moments_count = 10000000, but 11 basic moments" \
             "b|15s/.*/alpha_moments_count = 10000000/;16s/.*/alpha_index_basic_count = 10000000/|alpha_index_basic: the count declares 10000000 items" \
             "t|18s/.*/alpha_index_times_count = 100000000/|alpha_index_times: the count declares 100000000 items" \
             "s|15s/.*/alpha_moments_count = 10000000/;20s/.*/alpha_scalar_moments = 10000000/|alpha_moment_mapping: the count declares 10000000 items" \
             "c|15s/.*/alpha_moments_count = 10000000/;20s/.*/alpha_scalar_moments = 9000000/;21s/.*/alpha_moment_mapping = {$(seq -s, 0 17 | sed 's/,$//')}/|alpha_moment_mapping: the count declares 9000000 items"; do
        IFS='|' read -r tag expr needle <<< "$c"
        sed "$expr" "$POT" > "count-$tag.almtp"
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f "%M" -o rss.txt "$MTP" calculate_efs "count-$tag.almtp" one.cfg -o efs.cfg > out.txt 2> err.txt
            rc=$?
            rss=$(tail -1 rss.txt)
            if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; then ok; else bad "count-$tag.almtp accepted (exit $rc)"; fi
            if [ "$rss" -lt "$limit_kb" ]; then ok; else bad "count-$tag.almtp: peak RSS $rss kB >= $limit_kb kB"; fi
            if grep -qF "count-$tag.almtp:" err.txt && grep -qF -- "$needle" err.txt; then ok; else bad "count-$tag.almtp: stderr lacks file:line and '$needle'"; fi
            cat err.txt
        else
            refused "count-$tag.almtp" "$needle"
        fi
    done
    ;;
lines)
    # semantic errors name file:line (main named neither, or no line)
    put mind.almtp 7 "	min_dist = 5"
    refused mind.almtp "mind.almtp:7: min_dist"
    put maxd.almtp 8 "	max_dist = -4"
    refused maxd.almtp "maxd.almtp:8: max_dist"
    put times.almtp 19 "alpha_index_times = {{0, 0, 1, 11}, {1, 1, 1, 12}, {2, 2, 1, 12}, {3, 3, 1, 12}, {0, 11, 1, 13}, {0, 10, 1, 14}, {4, 4, 1, 15}, {5, 5, 2, 15}, {6, 6, 2, 15}, {7, 7, 1, 15}, {8, 8, 2, 15}, {9, 9, 1, 15}, {0, 12, 1, 16}, {0, 13, 1, 99}}"
    refused times.almtp "times.almtp:19: alpha_index_times entry 14"
    put map.almtp 21 "alpha_moment_mapping = {0, 11, 10, 12, 13, 14, 15, 16, 18}"
    refused map.almtp "map.almtp:21: alpha_moment_mapping item 9"
    awk 'NR == 10 { print "	radial_funcs_count = 3"; next } 1' "$SRC/tests/fuzz/seeds/potential/level6-untrained-2sp.almtp" > rfc.almtp
    refused rfc.almtp "rfc.almtp:10: radial_funcs_count = 3, but alpha_index_basic uses 2"
    # radial blocks out of species-pair order: the label line is named
    awk '/^\t\t0-1$/ { print "\t\t1-1"; next } /^\t\t1-1$/ { print "\t\t0-1"; next } 1' "$POT2" > order.mtp
    n=$(grep -n $'^\t\t1-1$' order.mtp | head -1 | cut -d: -f1)
    refused order.mtp "order.mtp:$n: radial_coeffs block 2 is labelled 1-1, expected 0-1"
    ;;
active_set)
    "$MTP" select "$POT" one.cfg --save_to=al.almtp > /dev/null 2>&1 || { echo "cannot build the active set"; exit 1; }
    # the section starts on line 24 ('#MVS_v1.1'); weights on 25..29
    sed '27s/.*/stress_weight x/' al.almtp > w.almtp
    refused w.almtp "w.almtp:27: active-learning section: expected 'stress_weight <number>'"
    sed '29s/.*/weight_scaling 7/' al.almtp > ws.almtp
    refused ws.almtp "ws.almtp:30: active-learning section: weight_scaling must be 0, 1 or 2"
    head -c -2000 al.almtp > cut.almtp
    refused cut.almtp "cut.almtp:30: active-learning section: truncated matrices"
    # a broken row link: named by its line, also for the commands that load the active set
    n=$(grep -an '^-1 -1$\|^[0-9]* [0-9]*$' al.almtp | head -1 | cut -d: -f1)
    sed "${n}s/.*/0 x/" al.almtp > link.almtp
    refused link.almtp "link.almtp:$n: active-learning section: row link 1"
    "$MTP" calculate_grade link.almtp one.cfg graded.cfg > out.txt 2> err.txt
    if [ $? -ne 0 ] && grep -qF "link.almtp:$n:" err.txt; then ok; else bad "calculate_grade: link error lacks link.almtp:$n"; cat err.txt; fi
    # a broken stored configuration: the potential file and its line are named
    n=$(grep -an 'AtomData:' al.almtp | head -1 | cut -d: -f1)
    sed "$((n+1))s/.*/   1 0 0.0 zero 0.0/" al.almtp > cfg.almtp
    "$MTP" select_add cfg.almtp one.cfg one.cfg new.cfg > out.txt 2> err.txt
    if [ $? -ne 0 ] && grep -qF "cfg.almtp:$((n+1)):" err.txt; then ok; else bad "select_add: stored configuration error lacks cfg.almtp:$((n+1))"; fi
    cat err.txt
    # the intact file still grades
    if "$MTP" calculate_grade al.almtp one.cfg graded.cfg > out.txt 2> err.txt; then ok; else bad "al.almtp refused"; cat err.txt; fi
    ;;
range)
    # what a potential implies at evaluation: a finite, positive radial range
    put narrow.almtp 7 "	min_dist = 3.99999999999"
    refused narrow.almtp "narrow.almtp:7: min_dist"
    put huge.almtp 8 "	max_dist = 1e300"
    refused huge.almtp "huge.almtp:8: max_dist"
    put nanmax.almtp 8 "	max_dist = nan"
    refused nanmax.almtp "nanmax.almtp:8: max_dist"
    ;;
lammps_header)
    accepted "$POT" plain.cfg
    { echo "# DATE: 2024-11-22 UNITS: metal CONTRIBUTOR: A. Contributor, contact@example.org CITATION: none"; cat "$POT"; } > dated.almtp
    accepted dated.almtp dated.cfg
    if cmp -s plain.cfg dated.cfg; then ok; else bad "a '# DATE: ... UNITS: metal' header changes the results"; fi
    { echo "# DATE: 2024-11-22 UNITS: metal CONTRIBUTOR: A. Contributor"; echo "# a second comment line"; cat "$POT"; } > two.almtp
    accepted two.almtp two.cfg
    for u in real lj si electron; do
        { echo "# DATE: 2024-11-22 UNITS: $u CONTRIBUTOR: A. Contributor"; cat "$POT"; } > "units-$u.almtp"
        refused "units-$u.almtp" "units-$u.almtp:1: UNITS: $u: MTP potentials are in metal units"
    done
    { echo "# DATE: 2024-11-22 UNITS:"; cat "$POT"; } > units-empty.almtp
    refused units-empty.almtp "units-empty.almtp:1: UNITS:"
    # line numbers after the header are those of the file
    { echo "# DATE: 2024-11-22 UNITS: metal CONTRIBUTOR: A. Contributor"; awk 'NR == 7 { print "	min_dist = 5"; next } 1' "$POT"; } > dated-bad.almtp
    refused dated-bad.almtp "dated-bad.almtp:8: min_dist"
    # an active set behind a header: still located by counts, graded the same
    "$MTP" select "$POT" one.cfg --save_to=al.almtp > /dev/null 2>&1 || { echo "cannot build the active set"; exit 1; }
    { echo "# DATE: 2024-11-22 UNITS: metal CONTRIBUTOR: A. Contributor"; cat al.almtp; } > dated-al.almtp
    "$MTP" calculate_grade al.almtp one.cfg g1.cfg > /dev/null 2>&1 && "$MTP" calculate_grade dated-al.almtp one.cfg g2.cfg > out.txt 2> err.txt
    if [ $? -eq 0 ] && cmp -s g1.cfg g2.cfg; then ok; else bad "header + active set: grades differ or refused"; cat err.txt; fi
    # what we write carries no header: MLIP-3 requires 'MTP' on line 1
    "$MTP" train dated.almtp "$SRC/tests/fuzz/seeds/cfg_text/$(ls "$SRC/tests/fuzz/seeds/cfg_text" | head -1)" --save_to=out.almtp --iteration_limit=1 > /dev/null 2>&1 || true
    if [ -f out.almtp ]; then
        if [ "$(head -1 out.almtp)" = "MTP" ]; then ok; else bad "written potential does not start with 'MTP'"; fi
    fi
    ;;
*) echo "unknown class $WHAT"; exit 2 ;;
esac
echo "$WHAT: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
