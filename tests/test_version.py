"""One version, written once in pyproject.toml, everywhere the app and its engine show or record it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import ecgstudio
import training
from training import version as version_module
from training.checkpoint import library_versions

REPO = Path(__file__).resolve().parent.parent
PYPROJECT_VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_app_and_engine_carry_the_pyproject_version():
    assert ecgstudio.__version__ == training.__version__ == PYPROJECT_VERSION


def test_model_cards_record_the_pyproject_version():
    assert library_versions()["ecgstudio"] == PYPROJECT_VERSION


@pytest.mark.parametrize(("module", "expected"), [("ecgstudio", f"ecgstudio {PYPROJECT_VERSION}"),
                                                 ("training", f"ecgstudio engine {PYPROJECT_VERSION}")])
def test_version_flag_prints_the_version_without_importing_torch(module, expected):
    probe = (f"import sys, runpy; sys.argv = ['{module}', '--version']\n"
             f"try:\n    runpy.run_module('{module}', run_name='__main__')\nexcept SystemExit as e:\n"
             f"    code = e.code or 0\nelse:\n    code = 0\n"
             "print('torch imported' if 'torch' in sys.modules else 'no torch')\nsys.exit(code)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [expected, "no torch"]


def test_a_checkout_pyproject_wins_over_stale_install_metadata(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "ecgstudio"\nversion = "9.8.7"\n')
    monkeypatch.setattr(version_module, "_CHECKOUT", tmp_path)
    assert version_module.find_version() == "9.8.7"


def test_a_foreign_or_broken_pyproject_is_not_taken_for_ours(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text('[project]\nname = "somethingelse"\nversion = "5.0"\n')
    broken = tmp_path / "broken.toml"
    broken.write_text("[project\nname=")
    assert version_module.version_from_pyproject(other) is None
    assert version_module.version_from_pyproject(broken) is None
    assert version_module.version_from_pyproject(tmp_path / "missing.toml") is None


def test_a_frozen_bundle_reads_its_version_file(tmp_path, monkeypatch):
    (tmp_path / version_module.BUNDLE_VERSION_FILE).write_text("2.3.4\n")
    monkeypatch.setattr(version_module, "_CHECKOUT", tmp_path / "no-checkout")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert version_module.find_version() == "2.3.4"


def test_an_installed_copy_falls_back_to_its_metadata(tmp_path, monkeypatch):
    monkeypatch.setattr(version_module, "_CHECKOUT", tmp_path)
    monkeypatch.setattr(version_module.metadata, "version", lambda name: "3.1.4" if name == "ecgstudio" else "")
    assert version_module.find_version() == "3.1.4"
