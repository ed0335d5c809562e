#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Commit one results directory of the repository whenever its content changed, so that the small
# outputs of a long run (e.g. examples/li3ps4-gb/results of `make -C examples/li3ps4-gb md`: block
# MSD files, logs, the newest restart) survive the end of a session or the loss of the machine.
#
#   tools/commit-results.sh DIR [--every=SECONDS] [--message=TEXT]
#
# Only DIR is added and committed (other changes in the work tree are left alone).  Once, or with
# --every until killed; a failed commit (e.g. another git command holding the index lock) is
# retried at the next round.  Exit 2 on bad arguments, 1 when a single commit fails.
set -uo pipefail
usage="usage: commit-results.sh DIR [--every=SECONDS] [--message=TEXT]"
dir=${1:?$usage}; shift
every=0; message=
for arg in "$@"; do
    case "$arg" in
    --every=*) every=${arg#--every=} ;;
    --message=*) message=${arg#--message=} ;;
    *) echo "commit-results.sh: unknown option $arg; $usage" >&2; exit 2 ;;
    esac
done
[[ $every =~ ^[0-9]+$ ]] || { echo "commit-results.sh: --every must be a number of seconds, got '$every'" >&2; exit 2; }
[ -d "$dir" ] || { echo "commit-results.sh: $dir: no such directory" >&2; exit 2; }
dir=$(cd "$dir" && pwd)
repo=$(git -C "$dir" rev-parse --show-toplevel 2> /dev/null) ||
    { echo "commit-results.sh: $dir is not inside a git work tree" >&2; exit 2; }
rel=${dir#"$repo"/}
[ "$rel" != "$dir" ] || rel=.

# temporaries of files still being written (NAME.tmp, NAME.tmp.PID) are never committed
spec=("$rel" ":(exclude,glob)$rel/**/*.tmp" ":(exclude,glob)$rel/**/*.tmp.*")
commit_once() {
    [ -n "$(git -C "$repo" status --porcelain -- "${spec[@]}")" ] || return 0
    local n
    if git -C "$repo" add -A -- "${spec[@]}" &&
       n=$(git -C "$repo" diff --cached --name-only -- "$rel" | wc -l) &&
       git -C "$repo" commit -q -m "${message:-$rel: results so far} ($n files changed)" -- "$rel"; then
        echo "$(date -u +%FT%TZ) committed $n changed files in $rel"
    else
        echo "$(date -u +%FT%TZ) commit of $rel failed; retried next time" >&2
        return 1
    fi
}

if [ "$every" = 0 ]; then commit_once; exit; fi
while true; do commit_once || true; sleep "$every"; done
