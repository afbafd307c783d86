"""A Holter-length record built from real beats: a PTB-XL 10 s 12-lead 500 Hz record repeated end to end.

Used by the huge-record benchmark (24 h, ~1 GiB) and, shorter, by the tests. Written in chunks, so
building it never holds more than one 10 s block in memory. The header keeps the source's gains,
baselines and lead names, with its length and per-signal checksums recomputed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import wfdb

SOURCE = "ptbxl/records500/00000/00001_hr"


def build_long_record(shared: Path, folder: Path, seconds: float, name: str = "holter") -> Path:
    """Write ``name.hea`` + ``name.dat`` (format 16) lasting at least ``seconds``; returns the header path."""
    source = wfdb.rdrecord(str(shared / SOURCE), physical=False)
    block = np.ascontiguousarray(source.d_signal.astype("<i2"))  # [samples, leads], interleaved as on disk
    repeats = int(np.ceil(seconds * source.fs / len(block)))
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.dat", "wb") as fh:
        data = block.tobytes()
        for _ in range(repeats):
            fh.write(data)
    n = repeats * len(block)
    checksums = (block.astype(np.int64).sum(axis=0) * repeats) % 65536
    lines = [f"{name} {source.n_sig} {source.fs:g} {n}"]
    for i in range(source.n_sig):
        lines.append(f"{name}.dat 16 {source.adc_gain[i]:g}({source.baseline[i]})/{source.units[i]} 16 0 "
                     f"{int(block[0, i])} {int(checksums[i])} 0 {source.sig_name[i]}")
    (folder / f"{name}.hea").write_text("\n".join(lines) + "\n")
    return folder / f"{name}.hea"
