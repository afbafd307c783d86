"""The stable key annotations are stored under: a fingerprint of what was recorded, not where it lies.

Decision: the key hashes the sampling rate, the canonical lead names and the samples rounded to whole
microvolts. So the same recording keeps its annotations when the folder is copied or moved, when the
file is renamed, when it is converted between WFDB ``.dat`` and PhysioNet ``.mat`` (PTB-XL ``00001_hr``
and Challenge ``HR00001`` hold the same samples), and when header comments or ``#Dx`` labels are edited.
Any change to the samples gives a new key, which is right: marks made on other samples would be wrong.
Rounding to microvolts absorbs float noise between readers; real ECG resolution is coarser.
"""

from __future__ import annotations

import hashlib

import numpy as np

from training.data.record import Record

KEY_PREFIX = "ecg1:"
_CHUNK = 1 << 20  # samples hashed at a time, so a 24-hour Holter does not need a second copy in memory


def record_key(record: Record) -> str:
    """``ecg1:`` + 40 hex digits of SHA-256 over rate, leads and microvolt samples."""
    digest = hashlib.sha256(f"{record.fs!r}|{','.join(record.leads)}|{record.signal.shape}".encode())
    for lead in record.signal:
        for start in range(0, lead.shape[0], _CHUNK):
            chunk = lead[start:start + _CHUNK].astype(np.float64) * 1000.0
            digest.update(np.rint(chunk).astype("<i8").tobytes())
    return KEY_PREFIX + digest.hexdigest()[:40]
