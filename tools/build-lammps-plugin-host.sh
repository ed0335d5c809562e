#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build a LAMMPS with the PLUGIN package (29 Sep 2021, from the Debian source
# package of the installed liblammps-dev) so that mtpplugin.so can be tested.
# Everything lives in a cache OUTSIDE the clone and is reused when present.
#
# usage: tools/build-lammps-plugin-host.sh [--tree SRC] [CACHE_DIR]
#   CACHE_DIR default: $OPENMTP_LAMMPS_CACHE or $HOME/.cache/openmtp/lammps-src
#   --tree SRC  build another (e.g. newer) LAMMPS source tree instead; the
#               build goes to CACHE_DIR/build-plugin-host-<version>
# Prints the path of the built `lmp` executable on the last line; the
# source tree (for -DLAMMPS_SOURCE_DIR=) is CACHE_DIR/tree (or SRC).
# Takes ~5-8 minutes on 2 cores the first time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tree=""
if [ "${1:-}" = "--tree" ]; then tree=$(cd "$2" && pwd); shift 2; fi
cache=${1:-${OPENMTP_LAMMPS_CACHE:-${HOME:-/tmp}/.cache/openmtp/lammps-src}}
if [ -z "$tree" ]; then
    tree=$(sh "$here/fetch-lammps-source.sh" --full "$cache" | tail -n1)
    bdir="$cache/build-plugin-host"
else
    v=$(sed -n 's/^#define LAMMPS_VERSION "\(.*\)"/\1/p' "$tree/src/version.h" | tr -d ' ')
    bdir="$cache/build-plugin-host-${v:-other}"
fi
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ -x "$bdir/lmp" ] && [ -f "$bdir/.ok" ]; then
    echo "build-lammps-plugin-host: reusing $bdir/lmp" >&2
    echo "$bdir/lmp"
    exit 0
fi

echo "build-lammps-plugin-host: configuring $tree/cmake in $bdir" >&2
cmake -S "$tree/cmake" -B "$bdir" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=ON -DBUILD_MPI=ON -DBUILD_OMP=OFF -DLAMMPS_SIZES=smallbig \
    -DPKG_PLUGIN=ON -DPKG_MANYBODY=ON -DPKG_EXTRA-PAIR=ON -DPKG_ML-SNAP=ON \
    -DWITH_JPEG=OFF -DWITH_PNG=OFF -DWITH_FFMPEG=OFF -DWITH_GZIP=OFF \
    -DCMAKE_INSTALL_PREFIX="$cache/install-plugin-host" >&2
echo "build-lammps-plugin-host: building with $jobs jobs" >&2
cmake --build "$bdir" -j "$jobs" >&2
touch "$bdir/.ok"
echo "$bdir/lmp"
