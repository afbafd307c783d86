"""Opening files a person hands us without trusting them: only regular files, sizes checked first.

A record or model path can name a folder, a FIFO (reading blocks forever), a device such as
``/dev/zero`` (reading never ends, and a symlink hides it behind an innocent name) or a file far larger
than its kind ever is. :func:`check_regular_file` says which, in words, before anything is opened, and
:func:`read_bounded` reads at most a stated number of bytes from what is verified, on the open
descriptor, to be a regular file (a path swapped for a FIFO between the check and the open is caught too).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable

#: What each kind of non-regular file is called in messages.
_KINDS = (
    (stat.S_ISDIR, "is a folder, not a file"),
    (stat.S_ISFIFO, "is a pipe (FIFO), not a file; reading it could wait forever"),
    (stat.S_ISCHR, "is a device file, not a file"),
    (stat.S_ISBLK, "is a block device, not a file"),
    (stat.S_ISSOCK, "is a socket, not a file"),
)

#: Raised with ``(path, reason)``: each caller passes its own typed error (RecordError, ModelFileError).
ErrorFactory = Callable[[Path, str], Exception]


def _kind_problem(mode: int) -> str | None:
    for test, reason in _KINDS:
        if test(mode):
            return reason
    return None if stat.S_ISREG(mode) else "is not a regular file"


def check_regular_file(path: Path, error: ErrorFactory, what: str = "file", max_bytes: int | None = None) -> int:
    """The size of ``path`` after checking it is a regular file (symlinks followed) of at most ``max_bytes``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(path, f"{what} not found") from None
    except OSError as exc:
        raise error(path, f"cannot open the {what}: {exc.strerror or exc}") from None
    problem = _kind_problem(st.st_mode)
    if problem:
        raise error(path, f"{what} {problem}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise error(path, f"{what} is {st.st_size:,} bytes, more than the {max_bytes:,} bytes such a file can be")
    return st.st_size


def read_bounded(path: Path, max_bytes: int, error: ErrorFactory, what: str = "file") -> bytes:
    """All bytes of a regular file no larger than ``max_bytes``; never blocks on a FIFO."""
    check_regular_file(path, error, what, max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise error(path, f"cannot open the {what}: {exc.strerror or exc}") from None
    try:
        problem = _kind_problem(os.fstat(fd).st_mode)
        if problem:
            raise error(path, f"{what} {problem}")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(path, f"cannot read the {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise error(path, f"{what} is larger than the {max_bytes:,} bytes such a file can be")
    return data
