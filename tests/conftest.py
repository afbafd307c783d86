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


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL server for the session (tools/pgcluster.py); skips only without its binaries."""
    import sys

    sys.path.insert(0, str(REPO / "tools"))
    import pgcluster

    reason = pgcluster.missing_reason()
    if reason:
        pytest.skip(reason)
    cluster = pgcluster.Cluster()
    yield cluster
    cluster.destroy()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_library(request, tmp_path):
    """Make fresh, empty library locations of one backend: a file in tmp_path, or a new database on the server."""
    made = iter(range(1_000_000))
    if request.param == "sqlite":
        return lambda: str(tmp_path / f"library{next(made)}.ecglib")
    cluster = request.getfixturevalue("pg_cluster")
    prefix = f"t{abs(hash(request.node.nodeid)) % 10**8}"
    return lambda: cluster.create_database(f"{prefix}_{next(made)}")


@pytest.fixture
def library(new_library) -> str:
    """One fresh library location, on each backend in turn (parametrised by ``new_library``)."""
    return new_library()
