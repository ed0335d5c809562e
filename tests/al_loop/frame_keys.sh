#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Prints one line per configuration of the .cfg files given: its cell, atom
# types and positions (rounded to 1e-4 A, so that writers with different
# precision agree), i.e. a key that identifies the frame.  Used to find
# duplicate frames and to compare datasets as sets of frames.
awk '
  /^ *BEGIN_CFG/ { key = ""; inatoms = 0; incell = 0; next }
  /^ *END_CFG/   { print key; next }
  /^ *Supercell/ { incell = 1; inatoms = 0; next }
  /^ *AtomData:/ { incell = 0; inatoms = 1
                   for (i = 2; i <= NF; i++) col[$i] = i - 1
                   t = col["type"]; x = col["cartes_x"]; y = col["cartes_y"]; z = col["cartes_z"]; next }
  /^ *[A-Za-z]/  { incell = 0; inatoms = 0; next }
  incell  { key = key sprintf("%.4f,%.4f,%.4f;", $1, $2, $3); next }
  inatoms { key = key sprintf("%d:%.4f,%.4f,%.4f;", $t, $x, $y, $z) }
' "$@"
