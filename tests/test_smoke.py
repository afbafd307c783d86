"""``python -m ecgstudio --smoke`` from source: every main feature once, in a child process as a user runs it.

A child process, not an in-process call, because the smoke must prove the command line works (the flag,
the offscreen platform, the exit status) and its training job starts its own engine child.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
import sys

REPO = Path(__file__).resolve().parent.parent

STEPS = ("read record", "flac record", "open + plot", "annotations", "export", "measurement", "inference",
         "explanation", "wells", "cohort", "training job", "hpo")


def test_smoke_runs_every_feature_and_exits_0(tmp_path):
    """... and leaves nothing behind: not in the temporary folder (torch's compiler cache), not at home."""
    shared_tmp, home = tmp_path / "tmp", tmp_path / "home"
    shared_tmp.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(shared_tmp), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local" / "share"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("ECGSTUDIO_CACHE", None)
    env.pop("TORCHINDUCTOR_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-m", "ecgstudio", "--smoke"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for step in STEPS:
        assert f"smoke: {step} " in done.stdout, done.stdout
    assert "all steps passed" in done.stdout
    assert "6 panels" in done.stdout and "by ludb_unet1d_delineator" in done.stdout, done.stdout
    assert list(shared_tmp.iterdir()) == [], "left in the temporary folder"
    assert not home.exists() or not any(p.is_file() for p in home.rglob("*")), "written to the home folder"


def test_measurement_step_fails_without_the_delineator_network(tmp_path, monkeypatch):
    """The rules still measure without the network file (a bundle that left it out): the step must fail."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    from ecgstudio.smoke import Smoke, SmokeError
    import pytest
    from training.measure import engine

    smoke = Smoke(tmp_path)
    smoke.read_record()
    monkeypatch.setattr(engine, "_shipped_segmenter", lambda: None)
    with pytest.raises(SmokeError, match="U-Net delineator did not run"):
        smoke.measurement()


FAIL_AFTER_THE_WINDOW = """
import ecgstudio.__main__ as main, ecgstudio.smoke as smoke
build = main.build_window
def build_then_fail(*args, **kwargs):
    build(*args, **kwargs)
    raise RuntimeError("a step that fails once the window's objects exist")
main.build_window = build_then_fail
raise SystemExit(smoke.run_smoke())
"""


def test_a_failed_smoke_says_where_exits_1_and_leaves_no_folder_behind(tmp_path):
    """A smoke that failed as another user left its folder in /tmp: the failed step's objects, collected
    at exit, wrote settings.ini and so made the removed folder again."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", FAIL_AFTER_THE_WINDOW], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "smoke FAILED at open + plot: RuntimeError" in done.stderr
    assert list(tmp_path.iterdir()) == [], "left in the temporary folder"
