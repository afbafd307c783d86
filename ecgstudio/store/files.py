"""Atomic file output: a reader sees the old file or the complete new one, never half of one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path with ``path``'s file name to write; on success it replaces ``path``.

    The temporary file lies in a hidden folder beside the target (same file system, so the final
    ``os.replace`` is atomic) and keeps the target's name, for writers such as ``wfdb.wrann`` that
    choose the file name themselves. It is fsynced before the rename and the folder after it.
    """
    target = Path(path)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        temporary = staging / target.name
        yield temporary
        with open(temporary, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temporary, target)
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # folders cannot be opened on some platforms (Windows); the rename still happened
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
