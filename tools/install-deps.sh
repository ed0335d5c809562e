#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian 12 packages OpenMTP needs to build, test and run its
# examples; does nothing for packages already installed.  Needs root (or sudo).
set -euo pipefail
PACKAGES=(build-essential cmake pkg-config dpkg-dev xz-utils bc
          libopenblas-dev liblapacke-dev libopenmpi-dev openmpi-bin
          lammps liblammps-dev libkim-api-dev
          clang libclang-rt-14-dev
          python3-numpy python3-ase python3-matplotlib python3-pymatgen
          cp2k cp2k-data quantum-espresso quantum-espresso-data)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
