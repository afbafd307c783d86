#!/usr/bin/env bash
# Check the system libraries Qt's platform plugin needs; install them with apt-get when we are root,
# otherwise stop with a message naming them. Usage: qt_syslibs.sh gui|offscreen
set -u
mode=${1:-gui}
[ "$(uname -s)" = Linux ] || exit 0
py=.venv/bin/python
qt=$($py -c 'import PySide6, os; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt"))') || exit 1

if [ "$mode" = gui ]; then
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset)." >&2
    echo "Run 'make run' from a desktop session, or on a headless machine: xvfb-run -a make run" >&2
    exit 1
  fi
  plugin=$qt/plugins/platforms/libqxcb.so
  [ -n "${WAYLAND_DISPLAY:-}" ] && [ -z "${DISPLAY:-}" ] && plugin=$qt/plugins/platforms/libqwayland.so
else
  plugin=$qt/plugins/platforms/libqoffscreen.so
fi

missing=$(ldd "$plugin" "$qt/lib/libQt6Gui.so.6" 2>/dev/null | awk '/not found/ {print $1}' | sort -u)
# Qt >= 6.5 loads xcb-cursor at run time, so ldd cannot see it.
if [ "$mode" = gui ] && [[ "$plugin" == *xcb* ]] && ! ldconfig -p | grep -q 'libxcb-cursor.so.0'; then
  missing="$missing libxcb-cursor.so.0"
fi
[ -z "$(echo $missing)" ] && exit 0

declare -A pkg=(
  [libxcb-cursor.so.0]=libxcb-cursor0 [libxcb-icccm.so.4]=libxcb-icccm4 [libxcb-keysyms.so.1]=libxcb-keysyms1
  [libxcb-image.so.0]=libxcb-image0 [libxcb-render-util.so.0]=libxcb-render-util0 [libxcb-randr.so.0]=libxcb-randr0
  [libxcb-shape.so.0]=libxcb-shape0 [libxcb-xkb.so.1]=libxcb-xkb1 [libxcb-xinerama.so.0]=libxcb-xinerama0
  [libxkbcommon-x11.so.0]=libxkbcommon-x11-0 [libxkbcommon.so.0]=libxkbcommon0 [libEGL.so.1]=libegl1
  [libGL.so.1]=libgl1 [libOpenGL.so.0]=libopengl0 [libfontconfig.so.1]=libfontconfig1 [libdbus-1.so.3]=libdbus-1-3
  [libwayland-cursor.so.0]=libwayland-cursor0 [libX11-xcb.so.1]=libx11-xcb1 [libxcb-sync.so.1]=libxcb-sync1
)
pkgs=""
for lib in $missing; do pkgs="$pkgs ${pkg[$lib]:-?$lib}"; done
echo "Qt ($mode) needs system libraries that are missing: $(echo $missing)" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [[ "$pkgs" != *\?* ]]; then
  echo "Installing:$pkgs" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs) >&2 && exit 0
fi
echo "Install them with your package manager (Debian/Ubuntu:$pkgs) and retry." >&2
exit 1
