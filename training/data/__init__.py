"""Records, label maps and datasets.

The readers (wfdb, scipy.io, pandas) load when a record is first read, not when ``Record`` is imported:
the app's window imports this package and must paint fast.
"""

from typing import Any

from training.data.record import STANDARD_LEADS, Record, RecordInfo, canonical_lead_name

__all__ = ["Record", "RecordInfo", "STANDARD_LEADS", "canonical_lead_name", "read_header", "read_record"]


def __getattr__(name: str) -> Any:
    if name in ("read_header", "read_record"):
        from training.data import readers

        return getattr(readers, name)
    raise AttributeError(f"module 'training.data' has no attribute {name!r}")
