#!/usr/bin/env bash
# Installs the Debian packages Ganvas needs beside its npm dependencies: the S3 server (Ceph radosgw),
# the Fashion-MNIST data set, and Chromium for the edge's browser tests (driven by playwright-core).
# Runs from `npm install`; does nothing when they are already present.
set -euo pipefail
packages=(radosgw ceph-mon ceph-osd dataset-fashion-mnist chromium fonts-noto-color-emoji)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "ganvas: please install these Debian packages: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 0
fi
echo "ganvas: installing ${missing[*]} (Debian packages) …" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
