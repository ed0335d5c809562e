#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The newest restart file of one (cell, T) in RESULTS (md/Makefile): restarts are ranked
# equil < block-000 < block-001 < ...
#   keep_restart.sh copy WORK_T RES_T NAME   copy WORK_T/NAME.restart into RES_T (atomically),
#                                            unless RES_T already holds a newer one
#   keep_restart.sh drop RES_T NAME          delete the restarts of RES_T older than NAME
# The Makefile copies, then renames the block's .msd into place, then drops: every state in
# between still holds a restart from which the blocks not yet analysed can be rerun.
set -eo pipefail
rank() {
    case "$1" in
    equil) echo -1 ;;
    block-[0-9][0-9][0-9]) echo $((10#${1#block-})) ;;
    *) echo "keep_restart.sh: $1: expected equil or block-NNN" >&2; return 2 ;;
    esac
}
ranked() { # "rank file" for each restart of RES_T (a name rank() refuses is skipped, with its message)
    local f r
    for f in "$1"/*.restart; do
        [ -e "$f" ] || continue
        r=$(rank "$(basename "$f" .restart)") || continue
        echo "$r $f"
    done
}
case "$1" in
copy)
    work=$2 res=$3 name=$4; mine=$(rank "$name")
    # -2: no restart kept yet
    newest=$(ranked "$res" | sort -n | tail -1 | cut -d' ' -f1)
    [ "${newest:--2}" -le "$mine" ] || exit 0
    cp "$work/$name.restart" "$res/$name.restart.tmp"
    mv "$res/$name.restart.tmp" "$res/$name.restart" ;;
drop)
    res=$2 name=$3; mine=$(rank "$name")
    ranked "$res" | while read -r r f; do
        [ "$r" -ge "$mine" ] || rm -f "$f"
    done ;;
*) echo "usage: keep_restart.sh copy WORK_T RES_T NAME | drop RES_T NAME" >&2; exit 2 ;;
esac
