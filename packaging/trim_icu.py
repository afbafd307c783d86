"""Rebuild the bundle's ICU data library with only the data Qt can reach (31 MiB -> 15 MiB).

PySide6's wheel ships ICU 73 for QtCore; ``libicudata.so.73`` is one symbol, ``icudt73_dat``, holding
every ICU data item. QtCore calls ICU for exactly four things (its undefined ``*_73`` symbols):
collation (``ucol_*``, QCollator and locale-aware string compare), locale case mapping
(``u_strToUpper``/``u_strToLower``), legacy text codecs (``ucnv_*``, QStringConverter) and time-zone
names (``ucal_*``). Those read the collation trees, the converters, the locale and zone trees and the
supplemental tables, all kept. The rest serves ICU APIs that nothing in the bundle links to: currency,
language, region and unit display names, number spell-out rules, transliteration, break iteration
(Qt has its own), character names, StringPrep and the spoof checker; those items are removed with
ICU's own ``icupkg`` (Debian: icu-devtools) and the library is written again around the smaller data.

Nothing is trusted blindly: ``--check`` runs the same Qt calls (collation in seven locales, Turkish case
mapping, eight legacy codecs and the codec count, zone names in three locales) against the original and
the trimmed library, each in a copy of the build venv's PySide6, and refuses the result unless both
print the same. Usage: trim_icu.py BUNDLE_DIR --check
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Item folders and files of ICU's data that only APIs outside Qt's use read (see the module docstring).
REMOVED = re.compile(r"^(curr|lang|region|unit|rbnf|translit|brkitr)/|^(unames\.icu|confusables\.cfu|.*\.spp)$")

QT_CALLS = r'''
import functools
from PySide6.QtCore import QCollator, QDateTime, QLocale, QStringConverter, QStringDecoder, QTimeZone
words = ["zebra", "Äpfel", "apple", "Öl", "ångström", "Ísafjörður", "ışık", "Zürich", "ñandú", "中国", "日本"]
for name in ("en_US", "de_DE", "sv_SE", "tr_TR", "fr_FR", "ja_JP", "zh_CN"):
    locale = QLocale(name)
    print(name, sorted(words, key=functools.cmp_to_key(QCollator(locale).compare)))
    print(name, locale.toUpper("istanbul straße ijssel"), locale.toLower("İSTANBUL ΣΊΣΥΦΟΣ"))
for codec in ("windows-1252", "ISO-8859-15", "Shift_JIS", "GB18030", "KOI8-R", "IBM437", "EUC-KR", "Big5"):
    print(codec, QStringDecoder(codec).isValid())
print("codecs", len(QStringConverter.availableCodecs()))
when = QDateTime.fromString("2026-01-15T12:00:00", "yyyy-MM-ddTHH:mm:ss")
for zone in (b"Europe/Berlin", b"America/New_York", b"Asia/Tokyo"):
    for name in ("en_US", "de_DE", "fr_FR"):
        print(zone, name, QTimeZone(zone).displayName(when, QTimeZone.NameType.LongName, QLocale(name)))
'''


def _run(*args: str, **kw) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def data_blob(library: Path) -> tuple[str, bytes]:
    """The ``icudtNN_dat`` symbol's name and bytes, read through the ELF section and symbol tables."""
    symbols = _run("readelf", "-Ws", "--dyn-syms", str(library))
    found = re.search(r":\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+\S+\s+\d+\s+(icudt\d+_dat)\b", symbols)
    if not found:
        raise SystemExit(f"{library}: no icudtNN_dat symbol")
    address, size, name = int(found[1], 16), int(found[2], 0), found[3]
    for line in _run("readelf", "-SW", str(library)).splitlines():
        section = re.match(r"\s*\[\s*\d+\]\s+\S+\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if section:
            start, offset, length = (int(x, 16) for x in section.groups())
            if start <= address < start + length:
                with library.open("rb") as f:
                    f.seek(offset + address - start)
                    return name, f.read(size)
    raise SystemExit(f"{library}: {name} lies in no section")


def build_library(name: str, data: Path, soname: str, out: Path) -> None:
    """A shared library exporting ``name`` over ``data``'s bytes, as ICU's own pkgdata would write it."""
    assembly = out.with_suffix(".S")
    assembly.write_text(
        "    .section .rodata\n"
        f"    .globl {name}\n    .type {name}, @object\n    .balign 16\n{name}:\n"
        f'    .incbin "{data}"\n    .size {name}, . - {name}\n'
        '    .section .note.GNU-stack,"",@progbits\n', encoding="ascii")
    _run("gcc", "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-Wl,-z,noexecstack", "-o", str(out), str(assembly))


def trim(library: Path, work: Path, removed_items: re.Pattern[str] = REMOVED) -> Path:
    """A copy of ``library`` (written in ``work``) without the data items ``removed_items`` matches."""
    name, blob = data_blob(library)
    package = name.removesuffix("_dat") + "l"  # icudt73l: the item prefix icupkg keeps from the file name
    original = work / "in" / f"{package}.dat"
    trimmed = work / "out" / f"{package}.dat"
    original.parent.mkdir(parents=True)
    trimmed.parent.mkdir(parents=True)
    original.write_bytes(blob)
    items = _run("icupkg", "-l", str(original)).split()
    removed = work / "removed.txt"
    removed.write_text("".join(f"{item}\n" for item in items if removed_items.search(item)), encoding="utf-8")
    _run("icupkg", "-r", str(removed), str(original), str(trimmed))
    out = work / library.name
    build_library(name, trimmed, library.name, out)
    return out


def qt_output(pyside: Path, library: Path, work: Path) -> str:
    """What QT_CALLS print with ``library`` as PySide6's ICU data, in a copy of the venv's PySide6 (made
    once per ``work`` folder; each call only puts its library in)."""
    copy = work / "site"
    if not copy.exists():
        shutil.copytree(pyside, copy / "PySide6", symlinks=True,
                        ignore=shutil.ignore_patterns("libQt6Quick*", "libQt6Qml*", "libQt6Designer*", "qml"))
        shutil.copytree(pyside.parent / "shiboken6", copy / "shiboken6", symlinks=True)
    shutil.copy2(library, copy / "PySide6" / "Qt" / "lib" / library.name)
    env = {"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "LC_ALL": "C.UTF-8"}
    return _run(sys.executable, "-c", QT_CALLS, env=env, cwd=work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--check", action="store_true", help="compare Qt's ICU results before and after")
    args = parser.parse_args()
    library = next((args.bundle / "_internal" / "PySide6" / "Qt" / "lib").glob("libicudata.so.*"))
    with tempfile.TemporaryDirectory(prefix="trim-icu-") as tmp:
        work = Path(tmp)
        trimmed = trim(library, work)
        if args.check:
            import PySide6

            pyside = Path(PySide6.__file__).resolve().parent
            before = qt_output(pyside, pyside / "Qt" / "lib" / library.name, work)
            after = qt_output(pyside, trimmed, work)
            if before != after:
                print(f"trim_icu: Qt's ICU results differ with the trimmed data; {library} left as it was",
                      file=sys.stderr)
                return 1
        size = library.stat().st_size
        shutil.copy2(trimmed, library)
    print(f"trim_icu: {library.name} {size / 2**20:.1f} -> {library.stat().st_size / 2**20:.1f} MiB"
          + (", Qt's collation, case mapping, codecs and zone names unchanged" if args.check else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
