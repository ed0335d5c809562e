#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install the library into a scratch prefix and build programs against it,
# once with find_package(OpenMTP) and once with pkg-config.
# usage: test_install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
BUILD=$1 SRC=$2 WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK"
cmake --install "$BUILD" --prefix "$WORK/prefix" --component Unspecified > "$WORK/install.log"
test -f "$WORK/prefix/include/openmtp/openmtp.h"
test -f "$WORK/prefix/include/openmtp/openmtp_train.h"
ls "$WORK"/prefix/lib*/libopenmtp.so* "$WORK"/prefix/lib*/libopenmtp.a "$WORK"/prefix/lib*/libopenmtp_train.so* > /dev/null
cmake -S "$SRC/tests/install/consumer" -B "$WORK/consumer" -DCMAKE_PREFIX_PATH="$WORK/prefix" > "$WORK/consumer.log"
cmake --build "$WORK/consumer" >> "$WORK/consumer.log"
LD_LIBRARY_PATH=$(echo "$WORK"/prefix/lib*) "$WORK/consumer/consumer_cmake"
LD_LIBRARY_PATH=$(echo "$WORK"/prefix/lib*) "$WORK/consumer/consumer_train_cmake" "$WORK/dimers.cfg"
PKG_CONFIG_PATH=$(echo "$WORK"/prefix/lib*/pkgconfig) 
export PKG_CONFIG_PATH
cc -o "$WORK/consumer_pc" "$SRC/tests/install/consumer/consumer.c" $(pkg-config --cflags openmtp) $(pkg-config --libs openmtp)
LD_LIBRARY_PATH=$(echo "$WORK"/prefix/lib*) "$WORK/consumer_pc"
cc -o "$WORK/consumer_train_pc" "$SRC/tests/install/consumer/consumer_train.c" $(pkg-config --cflags openmtp_train) \
   $(pkg-config --libs openmtp_train)
LD_LIBRARY_PATH=$(echo "$WORK"/prefix/lib*) "$WORK/consumer_train_pc" "$WORK/dimers.cfg"
cc -static-libgcc -o "$WORK/consumer_static" "$SRC/tests/install/consumer/consumer.c" $(pkg-config --cflags openmtp) \
   $(echo "$WORK"/prefix/lib*)/libopenmtp.a -lm
"$WORK/consumer_static"
echo "install test: CMake package, pkg-config and static library work (libopenmtp and libopenmtp_train)"
