#!/usr/bin/env bash
# Package the built bundle (packaging/build.sh) as dist/ecgstudio_<version>_amd64.deb with dpkg-deb.
#   /opt/ecgstudio-<version>/          the bundle
#   /usr/bin/ecgstudio                 -> the bundle's launcher (checks glibc, then starts the app)
#   /usr/share/applications/, icons    the menu entry and its icon
#   /usr/share/doc/ecgstudio/          copyright (MIT + pointer to THIRD_PARTY_NOTICES), changelog
# Depends: the Debian packages owning the system libraries the bundle's files need and it does not
# carry (the spec leaves them out), and libc6 >= the bundle's glibc floor.
# Maintainer: $DEBFULLNAME <$DEBEMAIL> (the Debian tools' variables): set them to the hospital IT team
# that ships the package. Unset, a placeholder is used and lintian rightly reports it (bogus-mail-host).
# Usage: packaging/deb.sh [--version V]   (V: package an existing bundle under another version, for the
# upgrade test; the bundle's VERSION file is rewritten in the staged copy only)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
built=$($py -c 'from training.version import __version__; print(__version__)')
version=$built
if [ "${1:-}" = --version ]; then version=$2; fi
bundle=dist/ecgstudio-$built
[ -x "$bundle/ecgstudio-bin" ] || { echo "no bundle at $bundle: run packaging/build.sh first" >&2; exit 1; }
arch=$(dpkg --print-architecture)
deb=dist/ecgstudio_${version}_$arch.deb
stage=$(mktemp -d build/deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
opt=/opt/ecgstudio-$version
maintainer="${DEBFULLNAME:-ECG Studio} <${DEBEMAIL:-ecgstudio@localhost}>"
[ -n "${DEBEMAIL:-}" ] || echo "deb.sh: DEBEMAIL is not set: the package's maintainer is the placeholder $maintainer" >&2

mkdir -p "$root$opt" "$root/usr/bin" "$root/usr/share/applications" "$root/usr/share/doc/ecgstudio" \
  "$root/usr/share/icons/hicolor/scalable/apps" "$root/usr/share/icons/hicolor/256x256/apps" \
  "$root/usr/share/lintian/overrides" "$root/DEBIAN"
cp -a "$bundle/." "$root$opt/"
rm -f "$root$opt/install.sh" "$root$opt/ecgstudio.desktop"  # the package installs the menu entry itself
echo "$version" > "$root$opt/_internal/VERSION"
ln -s "$opt/ecgstudio" "$root/usr/bin/ecgstudio"
cp packaging/linux/ecgstudio.desktop "$root/usr/share/applications/"
cp resources/icons/ecgstudio.svg "$root/usr/share/icons/hicolor/scalable/apps/"
cp resources/icons/ecgstudio.png "$root/usr/share/icons/hicolor/256x256/apps/"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: ECG Studio"
  echo "Comment: The third-party software in $opt (Python, Qt, PyTorch, ...) is listed with its"
  echo " licences in $opt/THIRD_PARTY_NOTICES.txt; the sample records' licences are beside them in"
  echo " $opt/_internal/resources/samples/ (ATTRIBUTION.md)."
  echo
  echo "Files: *"
  echo "Copyright: 2026 The ECG Studio authors"
  echo "License: Expat"
  sed -n '/^Permission/,$p' LICENSE | sed 's/^$/./; s/^/ /'
} > "$root/usr/share/doc/ecgstudio/copyright"
printf 'ecgstudio (%s) unstable; urgency=medium\n\n  * Release %s, packaged from the PyInstaller bundle.\n\n -- %s  %s\n' \
  "$version" "$version" "$maintainer" "$(date -R)" | gzip -9n > "$root/usr/share/doc/ecgstudio/changelog.gz"
# Only what a self-contained app in /opt is by design (packaging/README.md, "lintian", gives each reason):
# it lives in /opt with private copies of Python, Qt and torch; two wheel libraries stay unstripped
# because stripping breaks them (packaging/tidy_elf.py refuses a stripped copy the loader would reject);
# and a few extension libraries need no libc symbol (libm, libuuid, Fortran only), so link no libc.
cat > "$root/usr/share/lintian/overrides/ecgstudio" <<'OVERRIDES'
ecgstudio: dir-or-file-in-opt [opt/*]
ecgstudio: embedded-library *
ecgstudio: unstripped-binary-or-object [opt/ecgstudio-*/_internal/numpy.libs/libscipy_openblas64_-*.so]
ecgstudio: unstripped-binary-or-object [opt/ecgstudio-*/_internal/scipy.libs/libscipy_openblas-*.so]
ecgstudio: library-not-linked-against-libc [opt/ecgstudio-*/_internal/torch/lib/libtorch.so]
ecgstudio: library-not-linked-against-libc [opt/ecgstudio-*/_internal/python3.11/lib-dynload/*.so]
ecgstudio: library-not-linked-against-libc [opt/ecgstudio-*/_internal/scipy/*.so]
OVERRIDES

depends=$($py packaging/inventory.py debian-depends "$bundle")
installed_kib=$(du -sk --apparent-size "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: ecgstudio
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_kib
Depends: $depends
Section: science
Priority: optional
Description: workbench for clinical 12-lead ECG research
 ECG Studio opens 12-lead ECG records (PhysioNet WFDB, CinC, hospital
 exports), plots them on ECG paper, measures them, lets clinicians annotate
 them and runs trained PyTorch classifiers with calibrated probabilities and
 explanations. Self-contained in /opt/ecgstudio-<version> (CPU PyTorch,
 Qt 6); user settings and data stay in the user's XDG folders and survive
 upgrades and removal.
CONTROL
find "$root" -type d -exec chmod 0755 {} +
chmod -R u+rw,go+r,go-w "$root"
# ECGSTUDIO_DEB_COMPRESSION=none packs in seconds instead of minutes (the upgrade test's second package).
nice -n 10 dpkg-deb --root-owner-group -Z"${ECGSTUDIO_DEB_COMPRESSION:-xz}" --build "$root" "$deb" >/dev/null
"$py" packaging/inventory.py checksums "$deb"
echo "built $deb ($(du -m "$deb" | cut -f1) MiB, installs $(( installed_kib / 1024 )) MiB), Depends: $depends"
