#!/usr/bin/env bash
# Build the one-folder app (dist/ecgstudio/), run its smoke test, and pack the Linux tarball
# dist/ecgstudio-<version>-linux-x86_64.tar.gz. Usage: packaging/build.sh [--no-smoke]
# Runs under `nice`: a build takes minutes of CPU and must not starve the machine's other work.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
version=$($py -c 'import ecgstudio; print(ecgstudio.__version__)')
arch=$(uname -m)
start=$(date +%s)

nice -n 10 "$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/ecgstudio.spec
app=dist/ecgstudio
# libtorch_cpu.so ships its full symbol table (88 MB); the dynamic symbols the loader needs stay.
# Only C++ backtraces lose function names. Not PyInstaller's strip=True: that strips every library,
# and some wheels' libraries are known to break when stripped.
strip --strip-unneeded "$app/_internal/torch/lib/libtorch_cpu.so"
cp packaging/linux/ecgstudio.desktop packaging/linux/install.sh "$app/"
echo "built $app in $(( $(date +%s) - start )) s, $(du -sm "$app" | cut -f1) MB"

if [ "${1:-}" != --no-smoke ]; then
  QT_QPA_PLATFORM=offscreen "$app/ecgstudio" --smoke
fi

tarball=dist/ecgstudio-$version-linux-$arch.tar.gz
nice -n 10 tar -C dist -czf "$tarball" ecgstudio
echo "packed $tarball ($(du -m "$tarball" | cut -f1) MB) in $(( $(date +%s) - start )) s total"
