"""What the bundle trims, checked without building it: torch's source rule and the ICU data rewrite.

The bundle itself (``make test-packaging``) is checked in test_packaging.py; these run in ``make test``.
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "packaging"))

import torch_sources  # noqa: E402
import trim_icu  # noqa: E402


def _torch() -> Path:
    import torch

    return Path(torch.__file__).resolve().parent


def test_torch_sources_keeps_what_torchscript_and_config_modules_read():
    torch = _torch()
    for needed in ("nn/functional.py", "_dynamo/config.py", "_inductor/config.py", "functional.py"):
        assert torch_sources.keeps(torch / needed), needed
    for bytecode_only in ("optim/adamw.py", "_inductor/codegen/common.py", "distributed/elastic/agent/server/api.py"):
        assert not torch_sources.keeps(torch / bytecode_only), bytecode_only
    kept = [p for p in torch.rglob("*.py") if torch_sources.keeps(p)]
    assert 50 < len(kept) < 300  # 108 of 2,263 files for torch 2.13


def test_torch_sources_keeps_a_file_it_cannot_read(tmp_path):
    assert torch_sources.keeps(tmp_path / "gone.py")


needs_icu_tools = pytest.mark.skipif(shutil.which("icupkg") is None or shutil.which("gcc") is None,
                                     reason="needs icupkg (Debian icu-devtools) and gcc; tools/packaging_tools.sh")


def _icu_library() -> Path:
    import PySide6

    return next((Path(PySide6.__file__).resolve().parent / "Qt" / "lib").glob("libicudata.so.*"))


@needs_icu_tools
def test_the_trimmed_icu_data_gives_qt_the_same_answers(tmp_path):
    import PySide6

    original = _icu_library()
    trimmed = trim_icu.trim(original, tmp_path / "work")
    assert trimmed.stat().st_size < 0.6 * original.stat().st_size
    name, blob = trim_icu.data_blob(trimmed)
    assert name.startswith("icudt") and len(blob) < len(trim_icu.data_blob(original)[1])
    pyside = Path(PySide6.__file__).resolve().parent
    before = trim_icu.qt_output(pyside, original, tmp_path)
    assert "sv_SE" in before and "True" in before and "Mitteleurop" in before  # the calls ran and answered
    assert trim_icu.qt_output(pyside, trimmed, tmp_path) == before


@needs_icu_tools
def test_the_icu_check_sees_data_qt_needs_go_missing(tmp_path):
    """Removing the collation trees as well changes Swedish sorting: the build's --check would refuse it."""
    import PySide6

    original = _icu_library()
    too_much = trim_icu.trim(original, tmp_path / "work", re.compile(trim_icu.REMOVED.pattern + r"|^coll/"))
    pyside = Path(PySide6.__file__).resolve().parent
    assert trim_icu.qt_output(pyside, too_much, tmp_path) != trim_icu.qt_output(pyside, original, tmp_path)


def test_measure_eval_says_at_once_when_neurokit2_is_missing(monkeypatch, tmp_path):
    """The bundle leaves neurokit2 out; measure-eval's comparison needs it, and says so before any work."""
    import importlib.util

    from training.errors import ECGError
    from training.measure import evaluate

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "neurokit2" else real(name, *a))
    with pytest.raises(ECGError, match="neurokit2"):
        evaluate.run(tmp_path / "no-ludb", tmp_path / "no-formats", tmp_path / "out.md", "measure-eval")
