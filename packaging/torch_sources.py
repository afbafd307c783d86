"""Which of torch's Python sources the bundle keeps beside their bytecode.

pyinstaller-hooks-contrib collects torch as "pyz+py": every module's bytecode goes into the executable's
archive *and* every ``.py`` file (2,263 files, 44 MiB for torch 2.13) is copied beside it, because some of
torch reads Python source at run time and fails without it ("OSError: could not get source code" at
``import torch``):

* config modules (``install_config_module(...)``) read their own source for their comments;
* TorchScript compiles decorated functions and methods from their source (``@torch.jit.script``,
  ``torch.jit.script(...)``, ``@torch.jit.export``/``ignore``/``unused``, ``_overload``,
  ``boolean_dispatch``), some at import (``torch.nn.functional``);
* a few modules call ``inspect.getsource*`` themselves.

A file is kept when its text shows one of those markers (108 files, 4.7 MiB); the rest ships as bytecode
only. Source read through ``linecache`` alone (warnings, tracebacks) does not need the file: without it
the line is blank, nothing raises. ``packaging/trace_runtime.py`` checks the rule: every torch file that
``inspect.getsourcelines`` reads while the test suite runs must be kept by it (on 2026-12-02: 11 files,
eight config modules, ``functional.py``, ``nn/functional.py`` and ``nn/modules/rnn.py``, all kept). The
bundle's smoke then imports torch and runs inference, LIME, a training job and an HPO trial on the
bundle so built.
"""
from __future__ import annotations

import re
from pathlib import Path

# Markers of code that reads its own source (see the module docstring).
SOURCE_READERS = re.compile(
    r"install_config_module\(|torch\.jit\.(script|export|ignore|unused|_overload|_script_if_tracing)\b"
    r"|jit\.script\(|@_overload\b|_overload_method\b|boolean_dispatch|getsource|@script\b"
)


def keeps(source: Path) -> bool:
    """Whether torch's ``.py`` file at ``source`` must ship as source, not only as bytecode."""
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # unreadable here: keep it rather than guess
    return SOURCE_READERS.search(text) is not None
