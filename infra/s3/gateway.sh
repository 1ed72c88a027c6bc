#!/usr/bin/env bash
# Stops or restarts only the S3 gateway (radosgw) of a cluster that start-ceph.sh started in <state-dir>.
# The monitor and the memstore OSD keep running, so the bucket's data survives: this is how tests take the
# S3 server away and bring it back.
#
# usage: gateway.sh <state-dir> stop|start
set -euo pipefail

die() {
  echo "gateway: $*" >&2
  exit 1
}

[[ $# -eq 2 && $1 != -* ]] || die "usage: gateway.sh <state-dir> stop|start"
dir=$(realpath "$1")
conf=$dir/ceph.conf
pidfile=$dir/run/client.rgw.pid
[[ -f $conf ]] || die "no cluster in $dir"

ours() {
  local pid=$1 state
  [[ -r /proc/$pid/cmdline ]] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-c $conf "
}

case $2 in
  stop)
    [[ -e $pidfile ]] || exit 0
    pid=$(cat "$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] && ours "$pid" || exit 0
    # radosgw keeps no state of its own, so SIGKILL loses nothing and frees the port at once.
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      ours "$pid" || break
      sleep 0.05
    done
    ! ours "$pid" || die "radosgw $pid still running after SIGKILL"
    rm -f "$pidfile"
    ;;
  start)
    if [[ -e $pidfile ]] && ours "$(cat "$pidfile")"; then exit 0; fi
    as_root=()
    [[ $(id -u) -ne 0 ]] || as_root=(--setuser root --setgroup root)
    CEPH_CONF=$conf radosgw -c "$conf" -n client.rgw "${as_root[@]}" >/dev/null 2>&1 || die "radosgw did not start"
    ;;
  *) die "unknown action $2" ;;
esac
