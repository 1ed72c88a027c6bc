#!/usr/bin/env bash
# Stops the cluster that start-ceph.sh started in <state-dir> and deletes its state.
#
# usage: stop-ceph.sh <state-dir> [--keep-logs]
set -euo pipefail

die() {
  echo "stop-ceph: $*" >&2
  exit 1
}

[[ $# -ge 1 && $1 != -* ]] || die "usage: stop-ceph.sh <state-dir> [--keep-logs]"
keep_logs=false
[[ ${2:-} == --keep-logs ]] && keep_logs=true
[[ -d $1 ]] || exit 0
dir=$(realpath "$1")
conf=$dir/ceph.conf

# Only processes whose command line names this directory's ceph.conf are touched, so a pid file that
# outlived its daemon can never kill an unrelated process that reused the pid.
ours() {
  local pid=$1 state
  [[ -r /proc/$pid/cmdline ]] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-c $conf "
}

pids=()
for pidfile in "$dir"/run/*.pid; do
  [[ -e $pidfile ]] || continue
  pid=$(cat "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && ours "$pid" && pids+=("$pid")
done

# The state is thrown away, so there is nothing to flush: SIGKILL skips memstore dumping every object to
# disk on shutdown and the OSD's slow, sometimes hanging, exit.
for pid in "${pids[@]}"; do
  kill -KILL "$pid" 2>/dev/null || true
done
for _ in $(seq 1 100); do
  alive=false
  for pid in "${pids[@]}"; do
    if ours "$pid"; then alive=true; fi
  done
  $alive || break
  sleep 0.05
done
$alive && die "processes still running after SIGKILL: ${pids[*]}"

if $keep_logs; then
  rm -rf "${dir:?}"/{ceph.conf,monmap,mon,osd,rgw,run}
else
  rm -rf "${dir:?}"/{ceph.conf,monmap,mon,osd,rgw,run,log,crash}
  rmdir "$dir" 2>/dev/null || true
fi
