"""Guard against PySide6 reference-count bugs that otherwise abort the app on Python 3.11.

PySide6 6.12 hands out the interpreter's singletons without taking references to them:
``SignalInstance.emit()`` returns ``True`` uncounted, and the result (``None``) of Python overrides of
Qt virtuals (``paint``, event handlers) and of timer callbacks is released once too often. Every
pan frame does this dozens of times. Python 3.12 made ``None``/``True``/``False`` immortal so the
lost references do not matter there; on 3.11 the counts reach zero after a while (in a long
session, or when the interpreter exits) and CPython aborts with "none_dealloc"/"bool_dealloc:
deallocating ... bug likely caused by a refcount error in a C extension".

This gives the singletons the same immortality on 3.11, and only when a probe emit shows the leak.
Remove once PySide6 is fixed (or Python >= 3.12 is required).
"""

from __future__ import annotations

import ctypes
import sys

#: Added to each singleton's reference count: far more than a lifetime of leaks, far below overflow.
_IMMORTAL_SHARE = 1 << 40
_PROBE_EMITS = 8
_SINGLETONS = (None, True, False, NotImplemented, Ellipsis)


def protect_singletons_from_pyside_leaks() -> bool:
    """Make Python's singletons effectively immortal if this PySide6 leaks them; True when it did."""
    if sys.version_info >= (3, 12) or getattr(protect_singletons_from_pyside_leaks, "done", False):
        return False
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.ping.emit()
    if before - sys.getrefcount(True) < _PROBE_EMITS:
        return False
    for singleton in _SINGLETONS:
        ctypes.c_ssize_t.from_address(id(singleton)).value += _IMMORTAL_SHARE
    protect_singletons_from_pyside_leaks.done = True
    return True
