#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Explicit MLIP-3 weight options give the potential of the code before default weights
# and validation stopping existed, byte for byte: the fixture was written with this very
# command by main at 4c450a6 (after the batched loss gradient of kspeed, which changed the
# last bits of the fit against the first fixture from fit-api 2f7f058).
# Usage: test_train_mlip_weights.sh MTP SHARED_DATA WORKDIR FIXTURE
set -e
MTP=$1; D=$2; W=$3; FIX=$4
[ -f "$D/mlearn/Si/test.cfg" ] || { echo "SKIP: no $D/mlearn/Si/test.cfg"; exit 77; }
mkdir -p "$W"
"$MTP" init --level 8 --species 0 --cutoff 5.0 -o "$W/init.almtp" >/dev/null
OMP_NUM_THREADS=1 "$MTP" train "$W/init.almtp" "$D/mlearn/Si/test.cfg" --save_to="$W/now.almtp" \
    --energy_weight=1 --force_weight=0.01 --stress_weight=0.001 --iteration_limit=5 --seed=3 --log=none --al_mode=none \
    --valid_cfgs="$D/mlearn/Si/test.cfg" >/dev/null
cmp "$W/now.almtp" "$FIX" && echo "explicit MLIP-3 weights: the same potential as before"
