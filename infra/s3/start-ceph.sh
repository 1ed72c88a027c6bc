#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster (mon + memstore OSD + radosgw) on 127.0.0.1 and bootstraps
# an S3 user and bucket. All state lives under <state-dir>; stop-ceph.sh <state-dir> tears it down.
#
# usage: start-ceph.sh <state-dir> [--port N] [--mon-port N] [--access-key K] [--secret-key S] [--bucket B]
# env defaults: GANVAS_S3_PORT (7480), GANVAS_S3_MON_PORT (S3 port + 1), GANVAS_S3_ACCESS_KEY (ganvas),
#               GANVAS_S3_SECRET_KEY (ganvas-secret), GANVAS_S3_BUCKET (ganvas), GANVAS_S3_TIMEOUT (60 s)
set -euo pipefail

die() {
  echo "start-ceph: $*" >&2
  exit 1
}

[[ $# -ge 1 && $1 != -* ]] || die "usage: start-ceph.sh <state-dir> [--port N] [--mon-port N] [--access-key K] [--secret-key S] [--bucket B]"
dir=$1
shift
port=${GANVAS_S3_PORT:-7480}
mon_port=${GANVAS_S3_MON_PORT:-}
access_key=${GANVAS_S3_ACCESS_KEY:-ganvas}
secret_key=${GANVAS_S3_SECRET_KEY:-ganvas-secret}
bucket=${GANVAS_S3_BUCKET:-ganvas}
timeout=${GANVAS_S3_TIMEOUT:-60}
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || die "missing value for $1"
  case $1 in
    --port) port=$2 ;;
    --mon-port) mon_port=$2 ;;
    --access-key) access_key=$2 ;;
    --secret-key) secret_key=$2 ;;
    --bucket) bucket=$2 ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
mon_port=${mon_port:-$((port + 1))}
for p in "$port" "$mon_port"; do
  [[ $p =~ ^[0-9]+$ && $p -ge 1 && $p -le 65535 ]] || die "invalid port: $p"
done
[[ $port != "$mon_port" ]] || die "S3 port and mon port must differ"
[[ $bucket =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "invalid bucket name: $bucket"
for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
  command -v "$bin" >/dev/null || die "$bin not found; install: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd"
done

dir=$(realpath -m "$dir")
conf=$dir/ceph.conf

# A daemon counts as ours only if its command line names this directory's ceph.conf, so a recycled pid is
# never mistaken for a running cluster.
ours() {
  local pid=$1 state
  [[ -r /proc/$pid/cmdline ]] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-c $conf "
}
for pidfile in "$dir"/run/*.pid; do
  [[ -e $pidfile ]] || continue
  if ours "$(cat "$pidfile")"; then
    die "a cluster is already running in $dir; stop it with $(dirname "$0")/stop-ceph.sh $dir"
  fi
done

port_in_use() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_in_use "$port" && die "port $port is already in use (S3 port)"
port_in_use "$mon_port" && die "port $mon_port is already in use (mon port)"

mkdir -p "$dir"
rm -rf "${dir:?}"/{ceph.conf,monmap,mon,osd,rgw,run,log,crash}
mkdir -p "$dir"/{mon,osd,rgw,run,log}

cleanup_on_error() {
  local status=$? name
  trap - EXIT
  [[ $status -eq 0 ]] && return
  for name in mon.a osd.0 client.rgw; do
    grep -iE 'error|fail|abort|in use' "$dir/log/$name.log" 2>/dev/null | tail -n 5 | sed "s/^/  $name: /" >&2 || true
  done
  local pidfile pid
  for pidfile in "$dir"/run/*.pid; do
    [[ -e $pidfile ]] || continue
    pid=$(cat "$pidfile")
    if ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  echo "start-ceph: failed; logs are in $dir/log" >&2
  exit "$status"
}
trap cleanup_on_error EXIT

fsid=$(cat /proc/sys/kernel/random/uuid)
osd_uuid=$(cat /proc/sys/kernel/random/uuid)

# paxos_propose_interval defaults to 1 s, and every pool/OSD change at bootstrap waits one interval; at
# 10 ms the cluster goes from nothing to serving S3 in about a second instead of ~12.
cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
keyring = /dev/null
run dir = $dir/run
crash dir = $dir/crash
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
log to stderr = false
err to stderr = false
mon cluster log file = default=$dir/log/\$channel.log cluster=$dir/log/cluster.log
paxos propose interval = 0.01
paxos min wait = 0.001
mon allow pool size one = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 4294967296

[mon.a]
mon data = $dir/mon

[osd.0]
osd data = $dir/osd
osd journal = $dir/osd/journal

[client.rgw]
rgw data = $dir/rgw
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw thread pool size = 32
EOF

export CEPH_CONF=$conf
# Started as root, Ceph daemons drop to the `ceph` user, which cannot use a state directory root created.
as_root=()
[[ $(id -u) -ne 0 ]] || as_root=(--setuser root --setgroup root)

monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$dir/monmap" >/dev/null 2>&1 || die "ceph-mon --mkfs failed"
ceph-mon -c "$conf" -i a "${as_root[@]}" >/dev/null 2>&1 || die "ceph-mon did not start (mon port $mon_port taken?)"

timeout "$timeout" ceph osd new "$osd_uuid" 0 >/dev/null 2>&1 || die "mon did not answer on port $mon_port"
timeout "$timeout" ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1 || die "ceph-osd --mkfs failed"
ceph-osd -c "$conf" -i 0 "${as_root[@]}" >/dev/null 2>&1 || die "ceph-osd did not start"

# radosgw-admin creates the default zone and its pools before radosgw starts, so the two never race on them.
timeout "$timeout" radosgw-admin user create --uid "$access_key" --display-name "$access_key" \
  --access-key "$access_key" --secret "$secret_key" >/dev/null 2>&1 || die "radosgw-admin user create failed"
radosgw -c "$conf" -n client.rgw "${as_root[@]}" >/dev/null 2>&1 || die "radosgw did not start (S3 port $port taken?)"

# A SigV4-signed PUT of the bucket; python3 is already a dependency of the ceph CLI.
/usr/bin/python3 - "$port" "$access_key" "$secret_key" "$bucket" "$timeout" "$dir/run/client.rgw.pid" <<'PY' ||
import datetime, hashlib, hmac, http.client, os, sys, time

port, access_key, secret_key, bucket, timeout, pidfile = sys.argv[1:]
deadline = time.monotonic() + float(timeout)


def rgw_alive():
    try:
        os.kill(int(open(pidfile).read()), 0)
        return True
    except (OSError, ValueError):
        return False


def request(method, path):
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = f"127.0.0.1:{port}"
    payload = hashlib.sha256(b"").hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [method, path, "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload]
    )
    scope = f"{day}/us-east-1/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


while True:
    try:
        status, body = request("PUT", f"/{bucket}")
        if status < 500:
            break
    except OSError:
        if not rgw_alive():
            sys.exit("radosgw exited during startup")
    if time.monotonic() > deadline:
        sys.exit(f"radosgw did not answer on port {port} within {timeout} s")
    time.sleep(0.05)
if status != 200:
    sys.exit(f"creating bucket {bucket} failed: HTTP {status} {body}")
PY
  die "bootstrap failed"

trap - EXIT
echo "S3 ready: http://127.0.0.1:$port bucket=$bucket (mon 127.0.0.1:$mon_port, state $dir)"
