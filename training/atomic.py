"""Atomic file writes: a kill or a crash never leaves a half-written file where a good one was.

Model files, checkpoints, caches, configs and reports all go through :func:`atomic_write`. A file made
of a large blob and a small description (a model's weights and card, a checkpoint's tensors and state)
is replaced as one unit by :func:`commit_blob`: the blob goes to a new content-named file beside the old
one, and renaming the description into place is the one switch that makes the new version current. A
kill at any moment leaves either the previous version or the new one, whole.

Files get the permissions the user's umask gives new files (a shared model folder stays readable by the
group), not ``mkstemp``'s private 0600. Temporary files are named ``.<name>.<pid>.<random>.part``, so the
``.part`` files a killed writer leaves behind are recognised and removed by the next write in the folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Callable

_PART = re.compile(r"^\..+\.(\d+)\.[^.]+\.part$")
_umask_lock = threading.Lock()


def _umask() -> int:
    with _umask_lock:  # os.umask can only be read by setting it; restore at once
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def part_file(path: Path) -> tuple[int, str]:
    """A new temporary sibling of ``path`` (descriptor, name), with the umask's permissions.

    Stale ``.part`` files of dead writers in the folder are removed first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".part")
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def atomic_write(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary sibling, fsync, then rename them all into place.

    Nothing is renamed until every file is safely on disk, so a failure while writing leaves all the
    previous files as they were.
    """
    pending: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            fd, tmp = part_file(path)
            pending.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in pending:
            os.replace(tmp, path)
        for folder in {path.parent for _, path in pending}:
            _fsync_dir(folder)
    finally:
        for tmp, _ in pending:
            Path(tmp).unlink(missing_ok=True)


def commit_blob(folder: Path, stem: str, blob: bytes, pointer: Path, describe: Callable[[str], bytes]) -> Path:
    """Make ``blob`` + its description current as one unit; returns the blob's path.

    The blob is written as ``<stem>.<sha256[:16]>.safetensors``; ``describe(file name)`` gives the
    description naming it, written to ``pointer`` by one rename. Only then are the blobs of earlier
    versions of ``stem`` (including a legacy ``<stem>.safetensors``) removed.
    """
    name = f"{stem}.{hashlib.sha256(blob).hexdigest()[:16]}.safetensors"
    existed = (folder / name).exists()
    atomic_write({folder / name: blob})
    try:
        atomic_write({pointer: describe(name)})
    except BaseException:
        if not existed:  # the switch never happened: the new blob is nobody's
            (folder / name).unlink(missing_ok=True)
        raise
    versions = re.compile(rf"^{re.escape(stem)}(\.[0-9a-f]{{16}})?\.safetensors$")
    for old in folder.iterdir():
        if old.name != name and versions.match(old.name):
            old.unlink(missing_ok=True)
    return folder / name


def remove_stale_parts(folder: Path) -> None:
    """Delete ``.part`` files whose writing process no longer exists (left by a kill or a power cut)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _PART.match(entry.name)
        if match and not _alive(int(match.group(1))):
            Path(entry.path).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
