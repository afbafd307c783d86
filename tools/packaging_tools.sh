#!/usr/bin/env bash
# The system tools the packaging targets use, installed with apt-get when we are root (a fresh build
# machine has none of them), else named: patchelf (build.sh removes the build machine's RUNPATHs),
# icupkg and gcc (build.sh rewrites ICU's data library), lintian (the .deb check), Xvfb (the start
# benchmark on a real X server; offscreen without it), and the libraries of Qt's xcb platform plugin:
# the .deb's Depends: names the packages owning the libraries the bundle links to, so they must be on
# the build machine (inventory.py debian-depends warns otherwise).
# Usage: tools/packaging_tools.sh
set -u
declare -A tool=([patchelf]=patchelf [lintian]=lintian [Xvfb]=xvfb [dpkg-deb]=dpkg [strip]=binutils
  [icupkg]=icu-devtools [gcc]=gcc)
missing=""
for command in "${!tool[@]}"; do
  command -v "$command" >/dev/null || missing="$missing ${tool[$command]}"
done
for lib in libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 \
  libxcb-shape0 libxcb-xkb1 libxcb-xinerama0 libxkbcommon-x11-0 libx11-xcb1 libxcb-sync1 libegl1 libopengl0; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $lib"
done
[ -z "$missing" ] && exit 0
echo "the packaging targets need:$missing" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >&2 && exit 0
fi
echo "Install them with your package manager (Debian/Ubuntu: apt-get install$missing) and retry." >&2
exit 1
