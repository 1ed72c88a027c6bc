#!/usr/bin/env bash
# Fetches the unpaired style-transfer data into .ganvas/data/style/ without installing anything:
#   photos/        nature photos: mate-backgrounds (via sr-data.sh, shared with super-resolution) and the
#                  photographic wallpapers of plasma-workspace-wallpapers
#   starry-night/  Van Gogh's starry_night.jpg from opencv-doc's examples (also via sr-data.sh)
#   low-poly/      the low-poly / flat vector illustration wallpapers of plasma-workspace-wallpapers,
#                  ukui-wallpapers and gnome-backgrounds
#   judge-photos/  classic colour photographs (python3-skimage data, opencv-doc samples, via sr-data.sh): more
#                  photos for the style evaluator's classifier only, never trained on by a generator
# Which of these files are trained on and which are held out is decided in apps/gpu-worker/src/style/photo-data.ts.
# `apt-get download` + `dpkg-deb -x` (lib/unpack-debs.sh), as sr-data.sh does. Idempotent: a package already
# extracted (its marker file exists) is skipped. Usage: bash infra/setup/style-data.sh [root]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/unpack-debs.sh
source "$here/lib/unpack-debs.sh"
repo="$(cd "$here/../.." && pwd)"
root="${1:-$repo/.ganvas/data/style}"
sr_root="$(dirname "$root")/sr"
extract="$root/extract"

# The photos and the painting come from the super-resolution data; sr-data.sh skips what it already has.
bash "$here/sr-data.sh" "$sr_root"

unpack_debs "$root/debs" "$extract" plasma-workspace-wallpapers ukui-wallpapers gnome-backgrounds

# Stable, flat folders of links the loader reads; each link is named after its wallpaper.
link() { # link <dir> <name> <source>
  if [ -e "$3" ]; then ln -sf "$3" "$1/$2"; else echo "style-data: missing $3" >&2; fi
}
mkdir -p "$root/photos" "$root/starry-night" "$root/low-poly" "$root/judge-photos"
find "$sr_root/extract/usr/share/backgrounds/mate/nature" -maxdepth 1 -type f -name '*.jpg' \
  -exec ln -sf {} "$root/photos/" \;
wp="$extract/usr/share/wallpapers"
for name in BytheWater ColdRipple EveningGlow FallenLeaf Grey Kite OneStandsOut Path summer_1am; do
  # The 1280×1024 rendering: the loader reduces photos to a few hundred pixels anyway.
  link "$root/photos" "$name.jpg" "$wp/$name/contents/images/1280x1024.jpg"
done
link "$root/starry-night" starry_night.jpg \
  "$(find "$sr_root/extract" -type f -name starry_night.jpg | head -n1)"
for name in Altai Canopee Cascade Flow Honeywave IceCold Kay Opal PastelHills Patak Shell; do
  # The largest landscape rendering of each (portrait phone versions are skipped).
  src=$(ls -S "$wp/$name/contents/images/"* | grep -v -e 1080x1920 -e 720x1440 -e 1622x2880 | head -n1)
  link "$root/low-poly" "$name.${src##*.}" "$src"
done
bg="$extract/usr/share/backgrounds"
for f in astronaut.png coffee.png chelsea.png rocket.jpg motorcycle_left.png baboon.jpg fruits.jpg butterfly.jpg \
  building.jpg home.jpg aloeL.jpg; do
  link "$root/judge-photos" "$f" "$(find "$sr_root/extract" -type f -name "$f" | head -n1)"
done
link "$root/low-poly" adwaita-l.webp "$bg/gnome/adwaita-l.webp"
link "$root/low-poly" city.png "$bg/city.png"
link "$root/low-poly" desert.png "$bg/desert.png"
echo "style-data: $(ls "$root/photos" | wc -l) photos, $(ls "$root/starry-night" | wc -l) painting," \
  "$(ls "$root/low-poly" | wc -l) low-poly illustrations, $(ls "$root/judge-photos" | wc -l) judge photos in $root" >&2
