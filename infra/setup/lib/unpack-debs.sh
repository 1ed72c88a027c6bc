# shellcheck shell=bash
# Sourced by the data scripts (sr-data.sh, style-data.sh): `apt-get download` + `dpkg-deb -x` brings a
# package's files without installing it, which keeps the packages' own dependencies off the machine.

# unpack_debs <debs dir> <extract dir> <package>…: downloads each package's .deb into <debs dir> (unless one
# is already there) and extracts it into <extract dir>. A marker file <extract dir>/.<package>.done makes a
# later run skip the package, so the data scripts stay idempotent.
unpack_debs() {
  local debs="$1" extract="$2" p deb
  shift 2
  mkdir -p "$debs" "$extract"
  local need=()
  for p in "$@"; do
    [ -e "$extract/.$p.done" ] || need+=("$p")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  # A stale package index makes apt-get download fail; refresh it (root only) and retry.
  (cd "$debs" && for p in "${need[@]}"; do
    ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download -qq "$p" 2>/dev/null || \
      { [ "$(id -u)" -eq 0 ] && apt-get update -qq && apt-get download -qq "$p"; }
  done)
  for p in "${need[@]}"; do
    deb=$(ls "$debs/${p}"_*.deb | head -n1)
    dpkg-deb -x "$deb" "$extract"
    touch "$extract/.$p.done"
  done
}
