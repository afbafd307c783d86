"""Per-user folders come from one helper (training.user_dirs) and honour the XDG variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecgstudio.context import app_data_dir
from ecgstudio.models.library import default_user_dir
from training import user_dirs
from training.cli import main as engine_main
from training.data.cache import PreprocessedCache
from training.data.datasets import load_dataset
from training.signal.pipeline import Pipeline

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    for name in ("config", "data", "cache"):
        monkeypatch.setenv(f"XDG_{name.upper()}_HOME", str(tmp_path / name))
    monkeypatch.delenv(user_dirs.CACHE_ENV, raising=False)
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    return tmp_path


def test_settings_data_and_cache_follow_the_xdg_variables(xdg):
    assert user_dirs.settings_dir() == xdg / "config" / "ECG Studio"
    assert user_dirs.data_dir() == xdg / "data" / "ECG Studio" / "ECG Studio"
    assert user_dirs.cache_dir() == xdg / "cache" / "ecgstudio"


def test_the_app_keeps_its_library_and_models_in_the_data_folder(xdg):
    assert app_data_dir() == xdg / "data" / "ECG Studio" / "ECG Studio"
    assert default_user_dir() == xdg / "data" / "ECG Studio" / "ECG Studio" / "models"


def test_the_engine_cache_honours_xdg_cache_home_and_ecgstudio_cache_wins(xdg, monkeypatch):
    index = load_dataset(REPO / "resources" / "samples" / "ptbxl", fs=500, drop_unlabelled=False)
    assert PreprocessedCache(index, Pipeline.default()).cache_dir == xdg / "cache" / "ecgstudio"
    monkeypatch.setenv(user_dirs.CACHE_ENV, str(xdg / "chosen"))
    assert PreprocessedCache(index, Pipeline.default()).cache_dir == xdg / "chosen"


def test_the_engine_entry_points_torch_compiler_cache_into_the_cache_folder(xdg, capsys):
    with pytest.raises(SystemExit) as done:
        engine_main(["--version"])
    assert done.value.code == 0
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(xdg / "cache" / "ecgstudio" / "torchinductor")


def test_a_compiler_cache_the_user_chose_is_kept(xdg, monkeypatch):
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(xdg / "mine"))
    user_dirs.route_torch_caches()
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(xdg / "mine")


def test_torch_leaves_nothing_in_the_shared_temporary_folder_once_routed(xdg):
    """An optimizer step imports torch._dynamo, which creates <tmp>/torchinductor_<user> unless routed."""
    tmp = xdg / "tmp"
    tmp.mkdir()
    probe = ("from training.user_dirs import route_torch_caches; route_torch_caches()\n"
             "import torch\nm = torch.nn.Linear(2, 2); opt = torch.optim.AdamW(m.parameters())\n"
             "m(torch.zeros(1, 2)).sum().backward(); opt.step()\nimport torch._dynamo")
    env = {**os.environ, "TMPDIR": str(tmp)}
    subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, check=True, timeout=120)
    assert list(tmp.iterdir()) == []
    assert (xdg / "cache" / "ecgstudio" / "torchinductor").is_dir()


def test_the_app_writes_its_settings_under_xdg_config_home(xdg):
    probe = ("from PySide6.QtCore import QCoreApplication, QSettings\n"
             "app = QCoreApplication([]); app.setApplicationName('ECG Studio'); app.setOrganizationName('ECG Studio')\n"
             "from ecgstudio.paths import use_user_dirs; use_user_dirs()\n"
             "s = QSettings(); s.setValue('probe', 1); s.sync(); print(s.fileName())")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    settings = xdg / "config" / "ECG Studio" / "ECG Studio.conf"
    assert done.stdout.strip() == str(settings) and settings.is_file()
