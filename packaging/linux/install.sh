#!/usr/bin/env sh
# Add ECG Studio (this unpacked folder) to the desktop menu, or remove it again.
#   ./install.sh               for this user (~/.local)
#   sudo ./install.sh --system for everyone (/usr/local)
#   ./install.sh --uninstall [--system]
# The app itself stays where it was unpacked; delete that folder to remove it completely.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${XDG_DATA_HOME:-$HOME/.local/share}; bin=$HOME/.local/bin; action=install
for arg in "$@"; do
  case $arg in
    --system) prefix=/usr/local/share; bin=/usr/local/bin ;;
    --uninstall) action=uninstall ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
desktop=$prefix/applications/ecgstudio.desktop
svg=$prefix/icons/hicolor/scalable/apps/ecgstudio.svg
png=$prefix/icons/hicolor/256x256/apps/ecgstudio.png
if [ $action = uninstall ]; then
  rm -f "$desktop" "$svg" "$png" "$bin/ecgstudio"
else
  icons=$here/_internal/resources/icons
  mkdir -p "$(dirname "$desktop")" "$(dirname "$svg")" "$(dirname "$png")" "$bin"
  sed "s|^Exec=.*|Exec=\"$here/ecgstudio\" %f|" "$here/ecgstudio.desktop" > "$desktop"
  cp "$icons/ecgstudio.svg" "$svg"
  cp "$icons/ecgstudio.png" "$png"
  ln -sf "$here/ecgstudio" "$bin/ecgstudio"
fi
command -v update-desktop-database >/dev/null && update-desktop-database -q "$prefix/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$prefix/icons/hicolor" || true
echo "ECG Studio ${action}ed ($prefix)"
