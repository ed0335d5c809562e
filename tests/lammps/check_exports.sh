#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# usage: check_exports.sh PLUGIN.so
# The plugin must export exactly one symbol, lammpsplugin_init: anything else
# (C++ classes, libopenmtp) could be bound to, or replaced by, a host's
# symbol of the same name.
set -eu
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm (binutils) not found"; exit 77; }
syms=$(nm -D --defined-only "$1" | awk '{print $3}' | sort)
n=$(printf '%s\n' "$syms" | grep -c . || true)
echo "$1 exports $n symbol(s)"
if [ "$syms" != "lammpsplugin_init" ]; then
    printf '%s\n' "$syms" | head -n 20
    echo "FAIL: expected lammpsplugin_init only"
    exit 1
fi
echo "OK: lammpsplugin_init only"
