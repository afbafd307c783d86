"""Shared fixtures. Tests that need the real records in ../shared/data skip only when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ECG_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED / "records_index.csv").is_file():
        pytest.skip(f"shared ECG data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def ptbxl_root(shared_data: Path) -> Path:
    return shared_data / "ptbxl"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep preprocessed caches out of the user's home folder; one per test session."""
    monkeypatch.setenv("ECGSTUDIO_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
