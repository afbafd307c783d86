"""The start probe the start benchmark times (``python -m benchmarks app_start [--bundle]``): the real
``python -m ecgstudio RECORD`` answers once its window is usable — panels attached, the record plotted
— and stays silent without the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecgstudio.start_probe import LINE, VARIABLE

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "resources" / "samples" / "cpsc2018" / "A0001.hea"


def _start(tmp_path: Path, probe: bool) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PYTHONPATH": str(REPO),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop(VARIABLE, None)
    if probe:
        env[VARIABLE] = "1"
    return subprocess.Popen([sys.executable, "-m", "ecgstudio", str(SAMPLE)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_app_reports_its_usable_window_with_the_sample_plotted_and_no_torch(tmp_path):
    proc = _start(tmp_path, probe=True)
    try:
        line = proc.stdout.readline()  # the probe's line, or '' if the app died first
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert line.startswith(LINE), f"no probe line; stderr: {err[-2000:]}"
    fields = dict(field.split("=", 1) for field in line.split()[2:])
    assert fields["torch"] == "False"
    assert 0 < float(fields["cpu_s"]) < 120


def test_without_the_variable_the_app_prints_nothing(tmp_path):
    proc = _start(tmp_path, probe=False)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=8)  # a started app waits for its user; time to have shown the window
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
    assert LINE not in out
