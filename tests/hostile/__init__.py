"""Hostile-input harness: read files in a limited child process (:mod:`tests.hostile.child`) and judge the results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def read_in_child(kind: str, paths: list[str], timeout: float = 300) -> list[dict]:
    """One result per path from ``python -m tests.hostile.child KIND PATH...`` (see there)."""
    out = subprocess.run([sys.executable, "-m", "tests.hostile.child", kind, *paths], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
                         capture_output=True, text=True, timeout=timeout)
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(results) == len(paths), out.stderr[-2000:]
    return results


def assert_refused_in_words_or_read(result: dict, expected: str | None, error: str, name: str = "") -> None:
    """``expected is None``: the file read. Otherwise one ``error`` whose one-line message holds ``expected``
    and names the file (``name`` in its file name, when given)."""
    if expected is None:
        assert result["ok"], result
        return
    assert not result["ok"] and result["error"] == error, result
    assert expected in result["message"] and "\n" not in result["message"], result
    assert "Traceback" not in result["message"], result
    assert name in Path(result["path"]).name, "the message names the file"


def assert_cli_predict_refuses(model: Path, record: Path, fragment: str) -> None:
    """``python -m training predict`` exits 2 with nothing on stdout and one ``error:`` line holding ``fragment``."""
    proc = subprocess.run([sys.executable, "-m", "training", "predict", "--model", str(model), str(record)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines
