#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# cpumon.sh: every 5 s, record CPU seconds (utime+stime) of this user's cp2k.psmp processes
# -> runs/cpu.txt lines "pid input cpu_s"; the last line per pid is that job's CPU time.
HZ=$(getconf CLK_TCK)
while true; do
  for p in $(pgrep -u "$(id -u)" -x cp2k.psmp); do
    inp=$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | awk '{print $3}')
    cwd=$(readlink /proc/$p/cwd)
    t=$(awk -v hz=$HZ '{print ($14+$15)/hz}' /proc/$p/stat 2>/dev/null)
    [ -n "$t" ] && echo "$p $cwd/$inp $t $(date -u +%T)"
  done >> /work/cp2k-li3ps4/runs/cpu.txt
  sleep 5
done
