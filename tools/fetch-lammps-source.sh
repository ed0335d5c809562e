#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fetch the Debian source package of the installed LAMMPS and extract the
# headers that liblammps-dev leaves out (fmt/, exceptions.h, command.h,
# neigh_request.h, lammpsplugin.h, version.h, ...) into a cache directory
# OUTSIDE the clone.  Nothing fetched here is ever committed.
#
# usage: tools/fetch-lammps-source.sh [--full] [CACHE_DIR]
#   CACHE_DIR  default: $OPENMTP_LAMMPS_CACHE or $HOME/.cache/openmtp/lammps-src
#   --full     also unpack the whole (Debian-patched) source tree into
#              CACHE_DIR/tree (used by tools/build-lammps-plugin-host.sh)
#
# Output layout:
#   CACHE_DIR/dl/        the .dsc / .orig.tar.xz / .debian.tar.xz
#   CACHE_DIR/include/   all top-level src/*.h plus src/fmt/ of that version
#   CACHE_DIR/tree/      (with --full) the complete source tree
# Prints the include directory (or the tree with --full) on the last line.
# Re-running reuses whatever is already present.
set -eu

full=0
if [ "${1:-}" = "--full" ]; then full=1; shift; fi
cache=${1:-${OPENMTP_LAMMPS_CACHE:-${HOME:-/tmp}/.cache/openmtp/lammps-src}}
mkdir -p "$cache/dl"
cache=$(cd "$cache" && pwd)

say() { echo "fetch-lammps-source: $*" >&2; }

# Version of the installed Debian package (source version without epoch).
ver=""
if command -v dpkg-query >/dev/null 2>&1; then
    ver=$(dpkg-query -W -f='${source:Version}' liblammps-dev 2>/dev/null || true)
    [ -n "$ver" ] || ver=$(dpkg-query -W -f='${source:Version}' lammps 2>/dev/null || true)
fi
[ -n "$ver" ] || ver="20220106.git7586adbb6a+ds1-2"
upver=${ver#*:}
upver=${upver%-*}

have_headers() {
    [ -f "$cache/include/neigh_request.h" ] && [ -f "$cache/include/exceptions.h" ] &&
        [ -f "$cache/include/command.h" ] && [ -f "$cache/include/fmt/format.h" ] &&
        [ -f "$cache/include/.version" ] && [ "$(cat "$cache/include/.version")" = "$ver" ]
}

if have_headers && { [ $full = 0 ] || [ -f "$cache/tree/src/lammps.h" ]; }; then
    say "reusing $cache (LAMMPS source $ver)"
    if [ $full = 1 ]; then echo "$cache/tree"; else echo "$cache/include"; fi
    exit 0
fi

orig=$(ls "$cache"/dl/lammps_"$upver".orig.tar.* 2>/dev/null | head -n1 || true)
if [ -z "$orig" ]; then
    say "downloading Debian source package lammps=$ver into $cache/dl"
    got=0
    if command -v apt-get >/dev/null 2>&1; then
        if (cd "$cache/dl" && apt-get source --download-only "lammps=$ver") >&2 2>&1; then
            got=1
        elif [ "$(id -u)" = 0 ]; then
            # No deb-src entry: add one for Debian 12 bookworm and retry.
            src=/etc/apt/sources.list.d/openmtp-deb-src.sources
            if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
                say "adding $src (deb-src for bookworm)"
                cat >"$src" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
            fi
            apt-get update -qq >&2 || true
            if (cd "$cache/dl" && apt-get source --download-only "lammps=$ver") >&2 2>&1; then
                got=1
            fi
        fi
    fi
    if [ $got = 0 ]; then
        # Last resort: the same files straight from the Debian archive.
        base="http://deb.debian.org/debian/pool/main/l/lammps"
        say "apt-get source failed; trying $base"
        for f in "lammps_$upver.orig.tar.xz" "lammps_${ver#*:}.debian.tar.xz" "lammps_${ver#*:}.dsc"; do
            if command -v curl >/dev/null 2>&1; then
                curl -fsSL -o "$cache/dl/$f" "$base/$f" || { say "cannot download $f"; exit 1; }
            else
                wget -q -O "$cache/dl/$f" "$base/$f" || { say "cannot download $f"; exit 1; }
            fi
        done
    fi
    orig=$(ls "$cache"/dl/lammps_"$upver".orig.tar.* 2>/dev/null | head -n1 || true)
    [ -n "$orig" ] || { say "no lammps_$upver.orig.tar.* after download"; exit 1; }
fi

if ! have_headers; then
    say "extracting headers from $(basename "$orig")"
    tmp="$cache/tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    tar -xf "$orig" -C "$tmp" --wildcards --no-anchored \
        --exclude='*/src/*/*/*' 'src/*.h' 'src/fmt/*' >&2
    top=$(ls "$tmp")
    rm -rf "$cache/include"
    mkdir -p "$cache/include/fmt"
    # Only the top level of src/ and src/fmt (packages live in subdirs).
    find "$tmp/$top/src" -maxdepth 1 -name '*.h' -exec cp {} "$cache/include/" \;
    cp "$tmp/$top/src/fmt/"* "$cache/include/fmt/"
    rm -rf "$tmp"
    echo "$ver" >"$cache/include/.version"
fi

if [ $full = 1 ] && [ ! -f "$cache/tree/src/lammps.h" ]; then
    say "unpacking the full source tree into $cache/tree"
    rm -rf "$cache/tree" "$cache/tree.tmp"
    dsc=$(ls "$cache"/dl/lammps_*.dsc 2>/dev/null | head -n1 || true)
    if [ -n "$dsc" ] && command -v dpkg-source >/dev/null 2>&1; then
        (cd "$cache/dl" && dpkg-source --no-check -x "$(basename "$dsc")" "$cache/tree.tmp") >&2
    else
        mkdir -p "$cache/tree.tmp"
        tar -xf "$orig" -C "$cache/tree.tmp" --strip-components=1
    fi
    mv "$cache/tree.tmp" "$cache/tree"
fi

if [ $full = 1 ]; then echo "$cache/tree"; else echo "$cache/include"; fi
