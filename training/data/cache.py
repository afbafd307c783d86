"""Preprocessed-signal cache: records are parsed and preprocessed once, then memory-mapped.

Records differ in length (CPSC: 6-60 s), so the cache holds one flat float32 array of every
record's ``[leads, samples]`` block back to back, plus their offsets. The file name is a hash of the
pipeline and of the dataset's contents (:meth:`DatasetIndex.fingerprint`): change either and a new
cache is built. Writes go to a temporary file renamed into place, so a killed build leaves nothing
that looks complete (and its ``.part`` file is removed by the next write in the folder).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import numpy as np

from training.atomic import atomic_write, part_file
from training.data.datasets import DatasetIndex
from training.data.readers import read_record
from training.signal.pipeline import Pipeline
from training.user_dirs import cache_dir as default_cache_dir

ProgressFn = Callable[[int, int], None]


class PreprocessedCache:
    """Every record of ``index`` after ``pipeline``; ``cache[i]`` is a float32 ``[leads, samples]`` view."""

    def __init__(self, index: DatasetIndex, pipeline: Pipeline, cache_dir: Path | None = None,
                 progress: ProgressFn | None = None):
        self.index = index
        self.pipeline = pipeline
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.key = hashlib.sha256(f"{pipeline.digest()}:{index.fingerprint()}".encode()).hexdigest()[:24]
        self.data_path = self.cache_dir / f"{self.key}.f32"
        self.meta_path = self.cache_dir / f"{self.key}.json"
        if not self.meta_path.is_file() or not self.data_path.is_file():
            self._build(progress)
        meta = json.loads(self.meta_path.read_text())
        self.n_leads: int = meta["n_leads"]
        self.fs: float = meta["fs"]
        self.offsets = np.asarray(meta["offsets"], dtype=np.int64)
        self.lengths = np.asarray(meta["lengths"], dtype=np.int64)
        self._data = np.memmap(self.data_path, dtype=np.float32, mode="r")

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        start, n = self.offsets[i], self.lengths[i]
        return self._data[start:start + self.n_leads * n].reshape(self.n_leads, n)

    def _build(self, progress: ProgressFn | None) -> None:
        offsets, lengths, n_leads, fs, pos = [], [], None, None, 0
        fd, tmp_name = part_file(self.data_path)
        try:
            with os.fdopen(fd, "wb") as fh:
                for i, path in enumerate(self.index.paths):
                    record = read_record(path)
                    x = self.pipeline.apply(record)
                    if n_leads is None:
                        n_leads, fs = x.shape[0], self.pipeline.fs or record.fs
                    elif x.shape[0] != n_leads or (self.pipeline.fs is None and record.fs != fs):
                        raise ValueError(f"{path}: preprocessed shape/rate differs from the first record; "
                                         "add select_leads/resample steps to the pipeline")
                    fh.write(np.ascontiguousarray(x, dtype=np.float32).tobytes())
                    offsets.append(pos)
                    lengths.append(x.shape[1])
                    pos += x.size
                    if progress:
                        progress(i + 1, len(self.index))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, self.data_path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        meta = {"n_leads": n_leads, "fs": fs, "offsets": offsets, "lengths": lengths,
                "pipeline": self.pipeline.to_dict(), "dataset": self.index.name, "n_records": len(lengths)}
        atomic_write({self.meta_path: json.dumps(meta).encode()})
