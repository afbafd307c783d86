"""The layering rules of the guide, checked on every run (import-linter; contracts in pyproject.toml):
the engine never imports Qt or the app, job specs stay Qt-free and never import the entry point, and
views never reach into the library store's internals."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter), "--config", str(REPO / "pyproject.toml"), "--no-cache"], cwd=REPO,
                            capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    analysed = int(re.search(r"Analyzed (\d+) files", report).group(1))
    assert analysed > 150, report  # the whole of training/ and ecgstudio/ of this checkout
    assert re.search(r"Contracts: 3 kept, 0 broken", report), report
