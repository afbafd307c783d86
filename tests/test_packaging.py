"""The built bundle (packaging/build.sh) runs its own smoke test, including a frozen engine child.

Skipped unless ``ECGSTUDIO_PACKAGING=1``: a build takes about 5 minutes of 2 cores and 1.4 GB of disk
(build/ and dist/); see packaging/README.md for the measurements behind this choice. Run it with
``ECGSTUDIO_PACKAGING=1 .venv/bin/python -m pytest tests/test_packaging.py``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import ecgstudio
REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.environ.get("ECGSTUDIO_PACKAGING") != "1",
                                reason="builds the PyInstaller bundle (minutes); set ECGSTUDIO_PACKAGING=1")

APP = REPO / "dist" / "ecgstudio"


@pytest.fixture(scope="module")
def built() -> str:
    """Build once (the script runs the bundle's smoke itself) and return the build's output."""
    done = subprocess.run([str(REPO / "packaging" / "build.sh")], cwd=REPO, capture_output=True, text=True,
                          timeout=3600, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done.stdout


def test_the_bundle_passes_its_smoke_through_the_frozen_engine(built):
    assert "smoke: all steps passed" in built
    assert "engine ecgstudio --engine" in built  # the training job ran the frozen executable, not a Python


def test_the_bundle_carries_the_model_samples_attribution_and_label_maps_but_no_dead_weight(built):
    internal = APP / "_internal"
    assert (internal / "resources" / "models" / "ptbxl_superclass_resnet1d18.safetensors").is_file()
    assert (internal / "resources" / "samples" / "ATTRIBUTION.md").is_file()
    assert list((internal / "training" / "data" / "label_maps").glob("*.csv"))
    assert (APP / "ecgstudio.desktop").is_file() and (internal / "resources" / "icons" / "ecgstudio.svg").is_file()
    for unused in ("torch/include", "torch/share", "PySide6/Qt/qml", "PySide6/Qt/translations", "tkinter"):
        assert not (internal / unused).exists(), unused
    assert not list(internal.rglob("libQt6Quick*")) and not list(internal.rglob("*.a"))


def test_the_tarball_is_named_for_the_version_and_holds_the_app(built):
    tarball = REPO / "dist" / f"ecgstudio-{ecgstudio.__version__}-linux-x86_64.tar.gz"
    listing = subprocess.run(["tar", "-tzf", str(tarball)], capture_output=True, text=True, check=True).stdout
    assert "ecgstudio/ecgstudio\n" in listing and "ecgstudio/install.sh\n" in listing
