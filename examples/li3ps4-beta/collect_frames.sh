#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Collect the frames that `mtp-label` has finished so far (WORKDIR/frame-*/result.cfg,
# in input order) into one labelled .cfg, read and rewritten by `mtp convert`
# (so the file passes libmtp's reader), written atomically.  Used to commit the
# campaign's frames while a long labelling run is still going:
#   collect_frames.sh /work/li3ps4-campaign/seed-jobs frames/seed.cfg
set -eo pipefail
jobs=${1:?usage: collect_frames.sh MTP_LABEL_WORKDIR OUT.cfg}
out=${2:?usage: collect_frames.sh MTP_LABEL_WORKDIR OUT.cfg}
here=$(cd "$(dirname "$0")" && pwd)
mtp=${MTP:-$(command -v "$here/../../build/bin/mtp" || command -v mtp)}
tmp=$(mktemp --suffix=.cfg "$out.XXXXXX")
all=${tmp%.cfg}.all.cfg
trap 'rm -f "$tmp" "$all"' EXIT
: > "$all"
n=0
for d in "$jobs"/frame-*/; do
    if [ -s "$d/result.cfg" ]; then cat "$d/result.cfg" >> "$all"; n=$((n + 1)); fi
done
[ $n -gt 0 ] || { echo "collect_frames.sh: no finished frame in $jobs" >&2; exit 1; }
"$mtp" convert "$all" "$tmp" --no_loss > /dev/null
mv "$tmp" "$out"
echo "collect_frames.sh: $n labelled frames -> $out"
