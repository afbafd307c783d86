"""Start-up stays light (#15 §7): the window with every feature attached, and the engine's ``--help``,
load neither torch nor the statistics stacks; those load on first use. A module-level import of a heavy
engine module in any feature (it happened: the studies controller imported the run config, which pulls
torch in) brings back seconds of start-up, so the check runs the real entry points in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "sklearn", "optuna", "scipy.optimize", "lime")

_WINDOW = """
import json, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ecgstudio.__main__ import build_window
window = build_window(QSettings(sys.argv[1], QSettings.IniFormat), sys.argv[2])
window.show()
app.processEvents()
print(json.dumps([m for m in sys.argv[3].split(",") if m in sys.modules]))
"""


def _child_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PYTHONPATH": str(REPO),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}


def test_the_window_with_every_feature_starts_without_torch(tmp_path):
    done = subprocess.run([sys.executable, "-c", _WINDOW, str(tmp_path / "settings.ini"),
                           str(tmp_path / "library.ecglib"), ",".join(HEAVY)],
                          capture_output=True, text=True, timeout=120, env=_child_env(tmp_path), cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_engine_help_loads_no_heavy_module(tmp_path):
    probe = ("import runpy, sys, json\nsys.argv = ['training', '--help']\n"
             "try:\n    runpy.run_module('training', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             f"print(json.dumps([m for m in {HEAVY + ('pandas',)!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env=_child_env(tmp_path), cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
