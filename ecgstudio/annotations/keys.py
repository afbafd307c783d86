"""The stable key annotations are stored under: a fingerprint of what was recorded, not where it lies.

Decision: the key hashes the sampling rate, the canonical lead names and the samples rounded to whole
microvolts. So the same recording keeps its annotations when the folder is copied or moved, when the
file is renamed, when it is converted between WFDB ``.dat`` and PhysioNet ``.mat`` (PTB-XL ``00001_hr``
and Challenge ``HR00001`` hold the same samples), and when header comments or ``#Dx`` labels are edited.
Any change to the samples gives a new key, which is right: marks made on other samples would be wrong.
Rounding to microvolts absorbs float noise between readers; real ECG resolution is coarser.

Holter-length records (more than :data:`FULL_KEY_SAMPLES` samples over all leads, ~1.5 h of 12 leads
at 500 Hz) get a bounded key instead, ``ecgs1:``: hashing all 518 M samples of a 24-hour record would
take seconds before the window could paint it. It hashes the rate, the lead names, the shape, the
header's per-signal checksums (which cover every sample) and :data:`SAMPLED_BLOCKS` evenly spaced blocks
of :data:`SAMPLED_BLOCK` samples of every lead, in microvolts. A changed recording still gets a new key:
an edit that updated the checksums changes them; one that did not is refused as damaged when the
checksums are verified (before any model or measurement, and in the window's background check); an
edit inside a sampled block changes that block. Only a record without checksums edited outside the
sampled blocks keeps its key. Records at or under the size keep the full ``ecg1:`` key, so no stored
annotation of a normal-length record is orphaned.
"""

from __future__ import annotations

import hashlib

import numpy as np

from training.data.record import Record

KEY_PREFIX = "ecg1:"
SAMPLED_KEY_PREFIX = "ecgs1:"
_CHUNK = 1 << 20  # samples hashed at a time, so a 24-hour Holter does not need a second copy in memory
#: Records with more samples (all leads together) than this get the bounded key (67 M: 1.55 h at 12 x 500 Hz).
FULL_KEY_SAMPLES = 1 << 26
SAMPLED_BLOCKS = 256
SAMPLED_BLOCK = 1024


def record_key(record: Record) -> str:
    """``ecg1:`` + 40 hex digits of SHA-256 over rate, leads and microvolt samples (``ecgs1:`` and the
    bounded digest for a Holter-length record)."""
    signal = record.signal
    if signal.shape[0] * signal.shape[1] > FULL_KEY_SAMPLES:
        return _sampled_key(record)
    digest = hashlib.sha256(f"{record.fs!r}|{','.join(record.leads)}|{signal.shape}".encode())
    for lead in signal:
        for start in range(0, lead.shape[0], _CHUNK):
            digest.update(_microvolts(lead[start:start + _CHUNK]))
    return KEY_PREFIX + digest.hexdigest()[:40]


def _sampled_key(record: Record) -> str:
    signal = record.signal
    checksums = getattr(signal, "checksums", None)
    digest = hashlib.sha256(f"{record.fs!r}|{','.join(record.leads)}|{signal.shape}|{checksums}".encode())
    n = signal.shape[1]
    for start in np.linspace(0, n - SAMPLED_BLOCK, SAMPLED_BLOCKS).astype(np.int64):
        digest.update(_microvolts(signal[:, int(start):int(start) + SAMPLED_BLOCK]))
    return SAMPLED_KEY_PREFIX + digest.hexdigest()[:40]


def _microvolts(samples: np.ndarray) -> bytes:
    return np.rint(np.asarray(samples, dtype=np.float64) * 1000.0).astype("<i8").tobytes()
