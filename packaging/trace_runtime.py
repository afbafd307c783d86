"""Record what the app really imports and reads as source, and check the bundle's exclusions against it.

The bundle leaves modules out (``bundle_contents.EXCLUDED_MODULES``) and ships torch's ``.py`` files only
where ``torch_sources.keeps`` says torch reads them. Both are claims about every path the app can take;
this runs the test suite (and so the smoke, the engine children, the GUI tests) with a ``sitecustomize``
hook that writes, per process, every module imported and every file ``inspect.getsourcelines`` (and so
``getsource``) was asked to read: those raise OSError when the file is missing, where ``linecache`` and
``inspect.getframeinfo`` (warnings, tracebacks, stack inspection) just leave the line blank. Then it
checks:

* no excluded module (or a sub-module of one) was imported, but the test tools the suite itself runs
  on (``bundle_contents.TEST_TOOLS``: pytest, Qt's QTest);
* every torch file read that way is one ``torch_sources.keeps`` keeps.

Writes build/runtime-trace/modules.txt and sources.txt. Exit 0 when both hold, 1 with the offenders.
Processes started with a scrubbed environment (no PYTHONPATH) are not traced.
Usage: python packaging/trace_runtime.py [PYTEST_ARGS...]   (default: the whole suite, ``-q``)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "build" / "runtime-trace"

HOOK = r'''
import atexit, inspect, os, sys
_sources = set()
_getsourcelines = inspect.getsourcelines
def _recording_getsourcelines(obj):
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == "inspect":
        frame = frame.f_back
    caller = frame.f_globals.get("__name__", "") if frame is not None else ""
    # pytest showing a test's source is not the app; PySide6's import hook (shibokensupport.feature)
    # asks every module imported after it for its source and takes OSError as "not a PySide user"
    if not caller.startswith(("_pytest", "pytest", "shibokensupport")):
        try:
            _sources.add(inspect.getsourcefile(obj) or inspect.getfile(obj))
        except Exception:
            pass
    return _getsourcelines(obj)
inspect.getsourcelines = _recording_getsourcelines
def _write():
    folder = os.environ.get("ECGSTUDIO_TRACE_DIR")
    if not folder:
        return
    try:
        with open(os.path.join(folder, f"{os.getpid()}.modules"), "w", encoding="utf-8") as f:
            f.write("\n".join(sorted(sys.modules)))
        with open(os.path.join(folder, f"{os.getpid()}.sources"), "w", encoding="utf-8") as f:
            f.write("\n".join(sorted(s for s in _sources if s)))
    except OSError:
        pass
atexit.register(_write)
'''


def trace(pytest_args: list[str]) -> tuple[set[str], set[str], int]:
    """Modules imported and files read as source by the suite's processes, and pytest's exit status."""
    with tempfile.TemporaryDirectory(prefix="ecgstudio-trace-") as tmp:
        hook_dir, records = Path(tmp, "hook"), Path(tmp, "records")
        hook_dir.mkdir()
        records.mkdir()
        (hook_dir / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
        env = {**os.environ, "ECGSTUDIO_TRACE_DIR": str(records), "QT_QPA_PLATFORM": "offscreen",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(hook_dir), os.environ.get("PYTHONPATH")]))}
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args],
                              cwd=ROOT, env=env)
        modules = {m for f in records.glob("*.modules") for m in f.read_text(encoding="utf-8").split()}
        sources = {s for f in records.glob("*.sources") for s in f.read_text(encoding="utf-8").splitlines()}
    return modules, sources, done.returncode


def offenders(modules: set[str], sources: set[str]) -> list[str]:
    sys.path.insert(0, str(HERE))
    import torch_sources
    from bundle_contents import EXCLUDED_MODULES, TEST_TOOLS

    app_only = [x for x in EXCLUDED_MODULES if x not in TEST_TOOLS]
    found = [f"excluded module imported: {m}" for m in sorted(modules)
             if any(m == x or m.startswith(x + ".") for x in app_only)]
    for source in sorted(sources):
        path = Path(source)
        if "torch" in path.parts and path.suffix == ".py" and "site-packages" in path.parts:
            if not torch_sources.keeps(path):
                found.append(f"torch source read by inspect.getsourcelines but not kept: {source}")
    return found


def main() -> int:
    modules, sources, status = trace(sys.argv[1:] or ["-q"])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "modules.txt").write_text("".join(f"{m}\n" for m in sorted(modules)), encoding="utf-8")
    (OUT / "sources.txt").write_text("".join(f"{s}\n" for s in sorted(sources)), encoding="utf-8")
    found = offenders(modules, sources)
    print(f"trace_runtime: {len(modules)} modules imported, {len(sources)} files read as source "
          f"(build/runtime-trace/); pytest exit {status}")
    for line in found:
        print(f"trace_runtime: {line}", file=sys.stderr)
    return 1 if found or status not in (0, 5) else 0


if __name__ == "__main__":
    raise SystemExit(main())
