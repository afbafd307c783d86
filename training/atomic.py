"""Atomic file writes: a kill or a crash never leaves a half-written file where a good one was.

Model files, checkpoints, caches, configs and reports all go through :func:`atomic_write`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary sibling, fsync, then rename them all into place.

    Nothing is renamed until every file is safely on disk, so a failure while writing leaves all the
    previous files as they were.
    """
    pending: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
            pending.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in pending:
            os.replace(tmp, path)
    finally:
        for tmp, _ in pending:
            Path(tmp).unlink(missing_ok=True)
