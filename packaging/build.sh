#!/usr/bin/env bash
# Build the one-folder app dist/ecgstudio-<version>/, run its smoke test, and write the release files
# beside it: the tarball, the CycloneDX SBOM and SHA256SUMS. Usage: packaging/build.sh [--no-smoke]
# Runs under `nice`: a build takes minutes of CPU and must not starve the machine's other work.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
version=$($py -c 'from training.version import __version__; print(__version__)')
arch=$(uname -m)
start=$(date +%s)
app=dist/ecgstudio-$version

nice -n 10 "$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/ecgstudio.spec
# numpy and scipy each carry the same libgfortran/libquadmath build: keep one file, link the other.
for copy in "$app"/_internal/scipy.libs/*; do
  twin=$app/_internal/numpy.libs/$(basename "$copy")
  if [ -f "$twin" ] && [ ! -L "$copy" ] && cmp -s "$copy" "$twin"; then
    ln -sf "../numpy.libs/$(basename "$copy")" "$copy"
  fi
done
# ICU's data library with only what Qt's ICU calls read (31 -> 15 MiB); refused if Qt's results change.
"$py" packaging/trim_icu.py "$app" --check
# Strip every ELF file whose stripped copy still loads (not PyInstaller's strip=True, which breaks
# NumPy's patchelf-edited OpenBLAS), drop RUNPATHs naming the build machine's folders, clear the execute
# bit of libraries: packaging/tidy_elf.py says why and what it kept.
"$py" packaging/tidy_elf.py "$app"
cp packaging/linux/launcher.sh "$app/ecgstudio"
cp packaging/linux/ecgstudio.desktop packaging/linux/install.sh LICENSE "$app/"
"$py" packaging/inventory.py glibc-floor "$app" > "$app/_internal/GLIBC_FLOOR"
"$py" packaging/inventory.py notices "$app/THIRD_PARTY_NOTICES.txt"
echo "built $app in $(( $(date +%s) - start )) s, $(du -sm "$app" | cut -f1) MiB, glibc >= $(cat "$app/_internal/GLIBC_FLOOR")"

if [ "${1:-}" != --no-smoke ]; then
  QT_QPA_PLATFORM=offscreen "$app/ecgstudio" --smoke
fi

# xz, not gzip: 315 MiB as .tar.gz, over the 250 MiB download budget (all threads; still minutes)
tarball=dist/ecgstudio-$version-linux-$arch.tar.xz
XZ_OPT="-6 -T0" nice -n 10 tar -C dist -cJf "$tarball" "ecgstudio-$version"
sbom=dist/ecgstudio-$version.cdx.json
"$py" packaging/inventory.py sbom "$sbom"
"$py" packaging/inventory.py checksums "$tarball" "$sbom"
echo "packed $tarball ($(du -m "$tarball" | cut -f1) MiB), $sbom, dist/SHA256SUMS in $(( $(date +%s) - start )) s total"
