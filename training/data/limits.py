"""The limits a record must stay within to be read, each with its reason (docs/RELIABILITY.md lists them).

They bound what a hostile or broken file can make the reader do: how much header text is parsed, how
many leads are allocated, how long a record may claim to be, and how much memory reading may take.
"""

from __future__ import annotations

import os

#: A WFDB header is a few hundred bytes per signal; a multi-day multi-segment header lists a few thousand
#: segments (~40 bytes each). 1 MiB holds either with room to spare; more is not a header.
MAX_HEADER_BYTES = 1 << 20
#: Lines of one header (record line, signal or segment lines, comments).
MAX_HEADER_LINES = 50_000
#: Characters of one header line: a signal line with a long description is under 300.
MAX_HEADER_LINE = 4096
#: Leads of one record: body-surface maps reach ~250 electrodes; more is a corrupt count.
MAX_LEADS = 256
#: Sampling rates, Hz: below 10 Hz no ECG wave is resolved; above 100 kHz is no ECG device.
MIN_FS, MAX_FS = 10.0, 100_000.0
#: Longest record accepted, seconds: a 14-day patch monitor is the longest ambulatory ECG in use.
MAX_DURATION_S = 14 * 24 * 3600.0
#: A PhysioNet/CinC ``.mat`` file is read whole by scipy: 2 GiB bounds it (a 24-h 12-lead record at
#: 500 Hz in int16 is ~1 GiB).
MAX_MAT_BYTES = 2 << 30


def lazy_threshold() -> int:
    """Records whose float32 samples exceed this many bytes are memory-mapped instead of read (256 MiB:
    ~1.5 h of 12 leads at 500 Hz; every 10-60 s clinical ECG is read whole). ``ECGSTUDIO_LAZY_BYTES``
    overrides it."""
    return int(float(os.environ.get("ECGSTUDIO_LAZY_BYTES", 256 << 20)))


def memory_budget() -> int:
    """Bytes one record's samples may take in memory: half of the memory available now (at most).

    ``ECGSTUDIO_MEMORY_BUDGET`` (bytes) overrides it, so a workstation shared by several users can lower it.
    """
    override = os.environ.get("ECGSTUDIO_MEMORY_BUDGET")
    if override:
        return int(float(override))
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 // 2
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 4 << 30
