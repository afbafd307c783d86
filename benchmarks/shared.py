"""Where benchmarks find the shared records, and a small timing helper."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

SHARED = Path(os.environ.get("ECG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    """Fastest wall time of ``repeats`` runs, in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
