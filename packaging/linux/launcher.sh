#!/bin/bash
# ECG Studio's launcher (the bundle's `ecgstudio`, and /usr/bin/ecgstudio in the .deb).
# Checks the C library before the bundled Python is loaded: on a system older than the build machine
# the loader would otherwise stop with "version `GLIBC_2.xx' not found" deep inside the bundle.
here=$(dirname "$(readlink -f "$0")")
floor=$(cat "$here/_internal/GLIBC_FLOOR" 2>/dev/null || echo 0)
have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$floor" "$have" | sort -V | head -n 1)" != "$floor" ]; then
  cat >&2 <<MESSAGE
ECG Studio $(cat "$here/_internal/VERSION" 2>/dev/null) cannot start here: this bundle needs the GNU C library
(glibc) $floor or newer, and this system has ${have:-no glibc}.
Run it from Python instead (Python 3.11 and the wheels of its dependencies):
  python3.11 -m venv ~/ecgstudio-venv && ~/ecgstudio-venv/bin/pip install ecgstudio-*-py3-none-any.whl
  ~/ecgstudio-venv/bin/ecgstudio
MESSAGE
  exit 1
fi
exec -a "$here/ecgstudio" "$here/ecgstudio-bin" "$@"
