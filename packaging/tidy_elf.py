"""Tidy the bundle's ELF files after PyInstaller: strip them, drop the build machine's RUNPATHs,
clear the execute bit of shared libraries (and blank stray interpreter lines of modules).

    python packaging/tidy_elf.py dist/ecgstudio-<version>

Why each step:

* **strip** (``strip --strip-unneeded``): the wheels ship their libraries with symbol tables and debug
  sections (70 MiB in this bundle, 88 MiB of them in ``libtorch_cpu.so`` alone) that only a debugger
  needs; the dynamic symbols the loader resolves stay. Debian policy (and lintian) want it too. But
  binutils' strip rewrites the layout of libraries that ``patchelf`` has edited before (auditwheel does
  that to every library it vendors into ``<package>.libs/``), and some come out with load segments the
  loader refuses ("ELF load command address/offset not page-aligned": NumPy's OpenBLAS does). So each
  file is stripped into a copy, and the copy replaces it only when every PT_LOAD segment still meets
  the loader's rule; otherwise the original stays, unstripped, and is listed.
* **RUNPATH**: CPython's modules and ``libpython`` carry the build machine's
  ``/root/.pyenv/.../lib``, one SciPy module its CI's ``/opt/_internal/...``: a folder that is not in
  the bundle, searched first on every user's machine. Entries relative to ``$ORIGIN`` (the bundle's
  own layout) stay; the others go (``patchelf``).
* **execute bit**: shared libraries are not programs (lintian: shared-library-is-executable).
* **interpreter lines** of modules that are not programs here (``#!/usr/bin/env python3`` atop some of
  torch's ``.py`` files, which the bundle keeps as source for TorchScript): the line becomes a bare
  ``#``, so the file keeps its line numbers (``inspect.getsource`` relies on them) and is no longer a
  script without an execute bit, nor one naming an interpreter the system may not have (lintian:
  wrong-path-for-interpreter, script-not-executable).

``ecgstudio-bin`` is left alone: its Python archive is appended to the ELF file and strip would cut it off.
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

PAGE = 4096
PT_LOAD = 1
#: the PyInstaller executable: an ELF bootloader with the app's archive appended
SKIP = {"ecgstudio-bin"}


def elf_files(folder: Path) -> list[Path]:
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.name not in SKIP:
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    files.append(path)
    return files


def loadable(path: Path) -> bool:
    """Whether every PT_LOAD segment of a 64-bit little-endian ELF file meets glibc's rule: its file
    offset and address agree modulo the page size, and its alignment is a whole number of pages."""
    data = path.read_bytes()
    if data[4] != 2 or data[5] != 1:  # not ELFCLASS64 / ELFDATA2LSB: nothing this bundle ships
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for index in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, _filesz, _memsz, align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + index * phentsize)
        if p_type != PT_LOAD:
            continue
        if (vaddr - offset) % PAGE or align % PAGE:
            return False
    return True


def strip(path: Path) -> int:
    """Strip ``path`` if the result still loads; returns the bytes saved (-1: kept as it was)."""
    before = path.stat().st_size
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        copy = Path(tmp) / path.name
        done = subprocess.run(["strip", "--strip-unneeded", "-o", str(copy), str(path)], capture_output=True)
        if done.returncode != 0 or not loadable(copy):
            return -1
        shutil.copymode(path, copy)
        os.replace(copy, path)
    return before - path.stat().st_size


def search_paths(path: Path) -> str | None:
    """The file's RUNPATH (or RPATH), or None."""
    done = subprocess.run(["patchelf", "--print-rpath", str(path)], capture_output=True, text=True)
    return done.stdout.strip() or None if done.returncode == 0 else None


def own_paths(rpath: str) -> str:
    """The entries of ``rpath`` inside the bundle (relative to ``$ORIGIN``), in order."""
    return ":".join(e for e in rpath.split(":") if e.startswith(("$ORIGIN", "${ORIGIN}")))


def drop_interpreter_lines(folder: Path) -> list[Path]:
    """Blank the ``#!`` line of every non-executable ``.py`` file (same line count); returns them."""
    changed = []
    for path in sorted(folder.rglob("*.py")):
        if path.is_symlink() or path.stat().st_mode & 0o111:
            continue
        data = path.read_bytes()
        if data.startswith(b"#!"):
            end = data.find(b"\n")
            path.write_bytes(b"#" + (data[end:] if end >= 0 else b""))
            changed.append(path)
    return changed


def tidy(folder: Path) -> dict[str, list]:
    report: dict[str, list] = {"stripped": [], "kept": [], "rpath": [], "exec": [],
                               "scripts": drop_interpreter_lines(folder)}
    for path in elf_files(folder):
        saved = strip(path)
        if saved < 0:
            report["kept"].append(path)
        elif saved:
            report["stripped"].append((path, saved))
        rpath = search_paths(path)
        if rpath and own_paths(rpath) != rpath:
            kept = own_paths(rpath)
            command = ["--set-rpath", kept] if kept else ["--remove-rpath"]
            subprocess.run(["patchelf", *command, str(path)], check=True)
            report["rpath"].append((path, rpath))
        mode = path.stat().st_mode
        if ".so" in path.name and mode & 0o111:
            path.chmod(mode & ~(stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
            report["exec"].append(path)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/tidy_elf.py", description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    args = parser.parse_args(argv)
    for tool in ("strip", "patchelf"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (Debian/Ubuntu: apt-get install {'binutils' if tool == 'strip' else tool};"
                         " tools/packaging_tools.sh does it)")
    report = tidy(args.bundle)
    saved = sum(s for _, s in report["stripped"]) / 2**20
    print(f"tidy_elf: stripped {len(report['stripped'])} files (-{saved:.1f} MiB); "
          f"{len(report['kept'])} kept unstripped (stripping would misalign their load segments); "
          f"{len(report['rpath'])} RUNPATHs outside the bundle removed; execute bit cleared on {len(report['exec'])} libraries; "
          f"interpreter line blanked in {len(report['scripts'])} modules")
    for path in report["kept"]:
        print(f"  kept unstripped: {path.relative_to(args.bundle)}")
    for path, rpath in report["rpath"][:3]:
        print(f"  RUNPATH {rpath} removed from {path.relative_to(args.bundle)}{' ...' if len(report['rpath']) > 3 else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
