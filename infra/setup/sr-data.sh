#!/usr/bin/env bash
# Fetches the super-resolution data into .ganvas/data/sr/ without installing anything:
#   train/  mate-backgrounds wallpaper photos (training only)
#   eval/   the classic photos from python3-skimage(-lib) data and opencv-doc samples (held out, never trained on)
# `apt-get download` + `dpkg-deb -x` keeps their Python stacks off the machine. Idempotent: a package already
# extracted (its marker file exists) is skipped. Usage: bash infra/setup/sr-data.sh [root]
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)/.ganvas/data/sr}"
debs="$root/debs"
mkdir -p "$debs" "$root/extract"
packages=(mate-backgrounds python3-skimage-lib python3-skimage opencv-doc)
need=()
for p in "${packages[@]}"; do
  [ -e "$root/extract/.$p.done" ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  # A stale package index makes apt-get download fail; refresh it once (root only) and retry.
  (cd "$debs" && for p in "${need[@]}"; do
    ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download -qq "$p" 2>/dev/null || \
      { [ "$(id -u)" -eq 0 ] && apt-get update -qq && apt-get download -qq "$p"; }
  done)
  for p in "${need[@]}"; do
    deb=$(ls "$debs/${p}"_*.deb | head -n1)
    dpkg-deb -x "$deb" "$root/extract"
    touch "$root/extract/.$p.done"
  done
fi
# Stable, flat folders of links the loaders read.
mkdir -p "$root/train" "$root/eval"
find "$root/extract/usr/share/backgrounds/mate/nature" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) \
  -exec ln -sf {} "$root/train/" \; 2>/dev/null || true
for f in astronaut.png coffee.png chelsea.png rocket.jpg motorcycle_left.png hubble_deep_field.jpg camera.png \
  baboon.jpg fruits.jpg butterfly.jpg starry_night.jpg board.jpg building.jpg home.jpg \
  aloeL.jpg pic1.png; do
  src=$(find "$root/extract" -type f -name "$f" | head -n1)
  [ -n "$src" ] && ln -sf "$src" "$root/eval/$f"
done
echo "sr-data: $(ls "$root/train" | wc -l) training photos, $(ls "$root/eval" | wc -l) eval photos in $root" >&2
