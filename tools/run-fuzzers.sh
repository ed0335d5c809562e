#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build and run the libFuzzer targets of tests/fuzz.
#
#   tools/run-fuzzers.sh [SECONDS_PER_TARGET] [BUILD_DIR]
#
# SECONDS_PER_TARGET defaults to 20, BUILD_DIR to build-fuzz (relative to the
# repository root).  Needs clang with the libFuzzer runtime (Debian 12:
# `apt-get install clang libclang-rt-14-dev`; done here when clang is missing
# and we run as root).  Targets run in parallel, one per core (FUZZ_JOBS
# overrides).  Seeds: tests/fuzz/seeds/<target>/ plus, generated at run time
# into BUILD_DIR/fuzz-seeds/ (never into the repository), data files of the
# repository's tests/examples and of ../shared/data/mlip3 when it exists.
# Reproducers in tests/fuzz/regressions/<target>/ are replayed first.
#
# Exit status: 0 if no target crashed, leaked, timed out or ran out of
# memory; 1 otherwise (the failing targets and their reproducers are
# listed); 2 on a build/setup error.
set -u -o pipefail

SECONDS_PER_TARGET=${1:-20}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${2:-build-fuzz}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
SHARED_DATA=${OPENMTP_SHARED_DATA:-$ROOT/../shared/data}/mlip3
MAX_LEN=65536
TARGETS=(cfg_text cfg_bin xyz outcar vasprun cp2k qe lammps_dump lammps_data potential)
TARGETS+=(train_data)  # fitter/train_data.c: text .cfg training sets

if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET] [BUILD_DIR]" >&2
  exit 2
fi
NPROC=$(nproc 2>/dev/null || echo 2)
JOBS=${FUZZ_JOBS:-$NPROC}

log() { printf '[run-fuzzers] %s\n' "$*"; }
die() { printf '[run-fuzzers] error: %s\n' "$*" >&2; exit 2; }

# --- toolchain --------------------------------------------------------------
if ! command -v clang >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "clang missing: installing clang libclang-rt-14-dev"
    DEBIAN_FRONTEND=noninteractive apt-get install -y clang libclang-rt-14-dev >/dev/null ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y clang libclang-rt-14-dev >/dev/null; } ||
      die "cannot install clang"
  else
    die "clang not found (install clang and libclang-rt-14-dev)"
  fi
fi
command -v cmake >/dev/null 2>&1 || die "cmake not found"
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in llvm-symbolizer /usr/lib/llvm-*/bin/llvm-symbolizer; do
    if command -v "$s" >/dev/null 2>&1; then export ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; fi
  done
fi

# --- build ------------------------------------------------------------------
log "configuring $BUILD_DIR"
mkdir -p "$BUILD_DIR" || die "cannot create $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DOPENMTP_FUZZ=ON -DOPENMTP_BUILD_LAMMPS=OFF -DOPENMTP_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD_DIR/fuzz-configure.log" 2>&1 ||
  { cat "$BUILD_DIR/fuzz-configure.log" >&2; die "cmake configure failed"; }
log "building fuzz targets (-j$NPROC)"
cmake --build "$BUILD_DIR" --target fuzzers -j "$NPROC" >"$BUILD_DIR/fuzz-build.log" 2>&1 ||
  { tail -50 "$BUILD_DIR/fuzz-build.log" >&2; die "build failed (see $BUILD_DIR/fuzz-build.log)"; }
BIN=$BUILD_DIR/tests/fuzz
for t in "${TARGETS[@]}"; do
  [ -x "$BIN/fuzz_$t" ] || die "missing $BIN/fuzz_$t"
done

# --- seeds generated at run time ----------------------------------------------
SEEDS=$BUILD_DIR/fuzz-seeds
rm -rf "$SEEDS"
for t in "${TARGETS[@]}"; do mkdir -p "$SEEDS/$t"; done

# add_seed TARGET FILE: copy FILE (cut to a size the fuzzer accepts) as a seed
add_seed() {
  local t=$1 f=$2 name
  [ -f "$f" ] && [ -s "$f" ] || return 0
  name=$(printf '%s' "${f#"$ROOT"/}" | tr -c 'A-Za-z0-9._-' '_')
  head -c "$MAX_LEN" "$f" >"$SEEDS/$t/$name"
}
# add_outcar FILE: the lines the OUTCAR reader looks at, so whole ionic steps fit
add_outcar() {
  local f=$1 name
  [ -f "$f" ] || return 0
  name=$(printf '%s' "${f#"$ROOT"/}" | tr -c 'A-Za-z0-9._-' '_')
  awk -f "$ROOT/tests/fuzz/condense-outcar.awk" "$f" | head -c "$MAX_LEN" >"$SEEDS/outcar/$name"
  head -c 16384 "$f" >"$SEEDS/outcar/$name.head"
}

shopt -s nullglob globstar
# the repository's own test and example data
for f in "$ROOT"/tests/**/*.cfg "$ROOT"/tests/**/*.cfgs "$ROOT"/examples/**/*.cfg; do
  [[ $f == "$ROOT"/tests/fuzz/* ]] || add_seed cfg_text "$f"; done
for f in "$ROOT"/tests/**/*.cfg "$ROOT"/examples/**/*.cfg; do
  [[ $f == "$ROOT"/tests/fuzz/* ]] || add_seed train_data "$f"; done
for f in "$ROOT"/tests/**/*.xyz "$ROOT"/examples/**/*.xyz; do add_seed xyz "$f"; done
for f in "$ROOT"/tests/**/*.dump "$ROOT"/tests/**/dump.* "$ROOT"/examples/**/*.dump "$ROOT"/examples/**/dump.*; do
  [[ $f == "$ROOT"/tests/fuzz/* ]] || add_seed lammps_dump "$f"; done
for f in "$ROOT"/tests/**/*.data "$ROOT"/tests/**/*.lmp "$ROOT"/examples/**/*.data; do
  [[ $f == "$ROOT"/tests/fuzz/* ]] || add_seed lammps_data "$f"; done
for f in "$ROOT"/tests/**/*OUTCAR* "$ROOT"/examples/**/*OUTCAR*; do
  [[ $f == "$ROOT"/tests/fuzz/* ]] || add_outcar "$f"; done
for f in "$ROOT"/tests/**/vasprun*.xml "$ROOT"/examples/**/vasprun*.xml; do
  [[ $f == "$ROOT"/tests/fuzz/* ]] || add_seed vasprun "$f"; done
for f in "$ROOT"/tests/**/*cp2k*.out "$ROOT"/tests/**/*cp2k*.log "$ROOT"/examples/**/*cp2k*.out; do
  [[ $f == "$ROOT"/tests/fuzz/* ]] || add_seed cp2k "$f"; done
for f in "$ROOT"/tests/data/cp2k/*.out; do add_seed cp2k "$f"; done
for f in "$ROOT"/tests/**/*.pwo; do [[ $f == "$ROOT"/tests/fuzz/* ]] || add_seed qe "$f"; done
for f in "$ROOT"/tests/**/*.almtp "$ROOT"/tests/**/*.mtp "$ROOT"/potentials/**/*.almtp \
         "$ROOT"/potentials/**/*.mtp "$ROOT"/examples/**/*.almtp "$ROOT"/examples/**/*.mtp; do
  [[ $f == "$ROOT"/tests/fuzz/* ]] || add_seed potential "$f"; done
# MLIP-3's data, when present next to the repository
if [ -d "$SHARED_DATA" ]; then
  log "adding seeds from $SHARED_DATA"
  for f in "$SHARED_DATA"/**/*.cfg "$SHARED_DATA"/**/*.cfgs "$SHARED_DATA"/configurations/VASP/cfg_*; do
    if [ "$(head -c 1 "$f" | od -An -tx1 | tr -d ' ')" = 6e ]; then add_seed cfg_bin "$f"; else add_seed cfg_text "$f"; fi
  done
  for f in "$SHARED_DATA"/**/OUTCAR*; do add_outcar "$f"; done
  for f in "$SHARED_DATA"/**/*.almtp "$SHARED_DATA"/**/*.mtp; do
    # big potentials only repeat the structure of the small ones
    [ "$(stat -c %s "$f")" -le "$MAX_LEN" ] && add_seed potential "$f"
  done
else
  log "no $SHARED_DATA: using the repository's seeds only"
fi
for t in "${TARGETS[@]}"; do
  n=$(find "$SEEDS/$t" "$ROOT/tests/fuzz/seeds/$t" -type f 2>/dev/null | wc -l)
  log "  seeds for fuzz_$t: $n"
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=1}
FAIL=()

# --- replay the regression inputs ----------------------------------------------
for t in "${TARGETS[@]}"; do
  reg=("$ROOT"/tests/fuzz/regressions/$t/*)
  [ ${#reg[@]} -gt 0 ] || continue
  log "replaying ${#reg[@]} regression input(s) of fuzz_$t"
  mkdir -p "$BUILD_DIR/fuzz-logs"
  for f in "${reg[@]}"; do
    out=$BUILD_DIR/fuzz-logs/regress_${t}_$(basename "$f").log
    # (the explicit exit keeps the shell's "Aborted" notice out of the output)
    if ! ( timeout 300 "$BIN/fuzz_$t" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=25 \
           "$f" >"$out" 2>&1; exit $? ) 2>/dev/null; then
      kind=$(grep -m1 -oE 'OPENMTP-FUZZ-FAIL: .*|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-zA-Z-]+|runtime error: .*' "$out")
      where=$(grep -m1 -oE '^SUMMARY: .*' "$out")
      FAIL+=("fuzz_$t: regression input fails again: $f: ${kind:-see log}; ${where}; log: $out")
    fi
  done
done

# --- fuzz ------------------------------------------------------------------------
LOGS=$BUILD_DIR/fuzz-logs
ARTIFACTS=$BUILD_DIR/fuzz-artifacts
mkdir -p "$LOGS"
log "fuzzing ${#TARGETS[@]} targets for ${SECONDS_PER_TARGET}s each, $JOBS at a time"

run_one() {
  local t=$1 corpus=$BUILD_DIR/fuzz-corpus/$t
  mkdir -p "$corpus" "$ARTIFACTS/$t"
  local dirs=("$corpus" "$SEEDS/$t")
  [ -d "$ROOT/tests/fuzz/seeds/$t" ] && dirs+=("$ROOT/tests/fuzz/seeds/$t")
  # the first directory receives new inputs; seed directories are only read
  timeout $((SECONDS_PER_TARGET + 120)) "$BIN/fuzz_$t" \
    -max_total_time="$SECONDS_PER_TARGET" -max_len=$MAX_LEN -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$ARTIFACTS/$t/" "${dirs[@]}" >"$LOGS/$t.log" 2>&1
  echo $? >"$LOGS/$t.rc"
}

running=0
for t in "${TARGETS[@]}"; do
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
  run_one "$t" 2>/dev/null &
  running=$((running + 1))
done
wait

# --- report -------------------------------------------------------------------------
stat_of() { grep -o "^stat::$2: *[0-9]*" "$LOGS/$1.log" | tail -1 | awk '{print $2}'; }
printf '\n%-18s %8s %12s %10s %8s  %s\n' target status executions 'exec/s' 'rss(MB)' note
for t in "${TARGETS[@]}"; do
  rc=$(cat "$LOGS/$t.rc" 2>/dev/null || echo '?')
  status=ok
  note=$(grep -o 'OPENMTP-FUZZ-NOTE: .*' "$LOGS/$t.log" | head -1 | sed 's/OPENMTP-FUZZ-NOTE: [^:]*: //')
  if [ "$rc" != 0 ]; then
    status=FAIL
    artifact=$(grep -o 'Test unit written to .*' "$LOGS/$t.log" | tail -1 | sed 's/Test unit written to //')
    [ "$rc" = 124 ] && artifact="(killed by timeout; see log)"
    # a harness check (finite results, round trips, basis invariance) names itself first
    kind=$(grep -m1 -oE 'OPENMTP-FUZZ-FAIL: .*' "$LOGS/$t.log" | head -1)
    [ -n "$kind" ] || kind=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-zA-Z-]+( \(malloc\([0-9]+\)\))?|runtime error: .*|==[0-9]+== ?ERROR: .*' "$LOGS/$t.log" | head -1)
    FAIL+=("fuzz_$t: ${kind:-exit status $rc}; reproducer: ${artifact:-none}; log: $LOGS/$t.log")
  fi
  printf '%-18s %8s %12s %10s %8s  %s\n' "fuzz_$t" "$status" "$(stat_of "$t" number_of_executed_units)" \
    "$(stat_of "$t" average_exec_per_sec)" "$(stat_of "$t" peak_rss_mb)" "$note"
done
echo

if [ ${#FAIL[@]} -gt 0 ]; then
  log "FAILED:"
  for f in "${FAIL[@]}"; do printf '  %s\n' "$f"; done
  log "replay one with: $BIN/fuzz_TARGET REPRODUCER; keep it in tests/fuzz/regressions/TARGET/"
  exit 1
fi
log "all ${#TARGETS[@]} fuzz targets passed (logs: $LOGS)"
exit 0
