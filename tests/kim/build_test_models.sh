#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build the test-only KIM models of tests/kim/models into WORK (never installed):
# a copy of the SiC potential relabelled with atomic numbers, then the models.
# usage: build_test_models.sh TOOL MODEL_DIR SIC_POTENTIAL WORK [CMAKE]
set -eu
tool=$1 model_dir=$2 sic=$3 work=$4 cmake=${5:-cmake}
tdir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
"$tool" --relabel "$sic" "$work/SiC-10-Z.almtp" 14 6
"$cmake" -S "$tdir/models" -B "$work/build" -DOPENMTP_KIM_MODEL_DIR="$model_dir" \
    -DSIC="$sic" -DSIC_Z="$work/SiC-10-Z.almtp" > "$work/configure.log" 2>&1 ||
    { tail -n 30 "$work/configure.log"; exit 1; }
"$cmake" --build "$work/build" -j2 > "$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; exit 1; }
ls "$work/build/portable-models"
