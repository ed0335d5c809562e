#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# runq.sh QUEUEFILE : each line "name structure key=value ..." -> runs/name.inp, runs/name.out (one process,
# OMP_NUM_THREADS=1, nice 10); wall time appended to runs/times.txt together with the load average.
cd /work/cp2k-li3ps4/runs
export OMP_NUM_THREADS=1
while read -r name struct args; do
  [ -z "$name" ] && continue; [[ "$name" == \#* ]] && continue
  [ -f "$name.out" ] && grep -q "PROGRAM ENDED" "$name.out" && continue
  /usr/bin/python3 ../ship/mkinp.py "$struct" "$name.inp" project="$name" $args
  l0=$(cut -d' ' -f1 /proc/loadavg); t0=$(date +%s.%N)
  nice -n 10 cp2k.psmp -i "$name.inp" -o "$name.out" > "$name.log" 2>&1
  t1=$(date +%s.%N); l1=$(cut -d' ' -f1 /proc/loadavg)
  echo "$name $(echo "$t1 - $t0" | bc) load_start=$l0 load_end=$l1 $(date -u +%H:%M:%S)" >> times.txt
done < "$1"
