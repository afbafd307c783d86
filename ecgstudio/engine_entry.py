"""How the app starts the training engine: ``python -m training`` from source, or the frozen app itself
with a hidden argument (a PyInstaller bundle has no separate Python to run the engine with).

Qt-free and import-light: both ``ecgstudio.__main__`` (which dispatches the hidden argument) and the job
specs (which build the command) use it, without one importing the other.
"""

from __future__ import annotations

import sys

#: The hidden argument with which a frozen (PyInstaller) app runs the engine instead of the window.
ENGINE_FLAG = "--engine"


def engine_command() -> list[str]:
    """The engine's command: this Python from source, or the frozen app through its hidden entry point."""
    if getattr(sys, "frozen", False):
        return [sys.executable, ENGINE_FLAG]
    return [sys.executable, "-m", "training"]
