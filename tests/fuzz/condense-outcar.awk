# SPDX-License-Identifier: BSD-3-Clause
# Keep only what the OUTCAR reader looks at, so a multi-step OUTCAR fits in a seed.
keep > 0 { print; keep--; next }
inpos { print; if ($0 ~ /^ -----/) { dashes++; if (dashes == 2) inpos = 0 } ; next }
/^ POTCAR:|ions per type =|^   NELM   =|--- Iteration|aborting loop|Total CPU time used|TOTEN/ { print; next }
/^  FORCE on cell =-STRESS/ { print; keep = 15; next }
/^      direct lattice vectors/ { print; keep = 3; next }
/^  FREE ENERGIE OF THE ION-ELECTRON/ { print; keep = 4; next }
/^ POSITION / { print; inpos = 1; dashes = 0; next }
