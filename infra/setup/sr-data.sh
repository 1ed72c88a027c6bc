#!/usr/bin/env bash
# Fetches the super-resolution data into .ganvas/data/sr/ without installing anything:
#   train/  mate-backgrounds wallpaper photos (training only)
#   eval/   the classic photos from python3-skimage(-lib) data and opencv-doc samples (held out, never trained on)
# `apt-get download` + `dpkg-deb -x` keeps their Python stacks off the machine. Idempotent: a package already
# extracted (its marker file exists) is skipped. Usage: bash infra/setup/sr-data.sh [root]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/unpack-debs.sh
source "$here/lib/unpack-debs.sh"
root="${1:-$(cd "$here/../.." && pwd)/.ganvas/data/sr}"
unpack_debs "$root/debs" "$root/extract" mate-backgrounds python3-skimage-lib python3-skimage opencv-doc
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
