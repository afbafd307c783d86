"""The packaged app (issues 10, 21): the size of dist/ecgstudio-<version>/ and of its tarball and .deb.

Measured only when a bundle has been built (``packaging/build.sh``); otherwise the row says so. The
bundle's start is timed by the one start benchmark, ``python -m benchmarks app_start --bundle``
(benchmarks/bench_startup.py), on the same path and clock as the source tree's.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import Row, benchmark
from training.version import __version__

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dist" / f"ecgstudio-{__version__}"
EXECUTABLE = APP / "ecgstudio"  # the launcher (glibc check), which starts ecgstudio-bin
MB = 1024 * 1024


def _missing(metrics: tuple[str, ...], unit: str) -> list[Row]:
    note = f"no bundle at {APP.relative_to(REPO)}: run packaging/build.sh first"
    return [Row(metric, float("nan"), unit, note=note) for metric in metrics]


#: the bundle's parts, largest first, by the start of their path in the bundle (the first match wins)
PARTS = (
    ("torch/lib (libtorch_cpu, libtorch_python...)", ("_internal/torch/lib/",)),
    ("torch, the rest", ("_internal/torch/",)),
    ("Qt + PySide6", ("_internal/PySide6/", "_internal/shiboken6/")),
    ("NumPy + SciPy, their OpenBLAS/Fortran", ("_internal/numpy", "_internal/scipy")),
    ("ecgstudio-bin (Python archive: all .py as bytecode)", ("ecgstudio-bin",)),
    ("libpython + lib-dynload", ("_internal/libpython", "_internal/python3.11/")),
    ("pandas, scikit-learn, matplotlib, Pillow", ("_internal/pandas/", "_internal/sklearn/", "_internal/scikit_learn.libs/",
                                                  "_internal/matplotlib/", "_internal/PIL/", "_internal/pillow.libs/")),
)


def _files(app: Path) -> list[Path]:
    """Regular files: a link (the deduplicated Fortran runtimes) costs nothing."""
    return [p for p in app.rglob("*") if p.is_file() and not p.is_symlink()]


def parts(app: Path = APP) -> list[tuple[str, float]]:
    """``[(part, MiB)]`` for :data:`PARTS` and "everything else", in apparent sizes."""
    sizes = dict.fromkeys([label for label, _ in PARTS] + ["everything else"], 0.0)
    for path in _files(app):
        relative = path.relative_to(app).as_posix()
        label = next((label for label, starts in PARTS if relative.startswith(starts)), "everything else")
        sizes[label] += path.stat().st_size / MB
    return list(sizes.items())


@benchmark("bundle_size")
def bundle_size() -> list[Row]:
    if not EXECUTABLE.is_file():
        return _missing((f"bundle size ({APP.name})",), "MiB")
    files = _files(APP)
    size = sum(p.stat().st_size for p in files) / MB
    note = f"{len(files)} files; " + "; ".join(f"{label} {mib:.1f}" for label, mib in parts())
    rows = [Row(f"bundle size ({APP.name})", size, "MiB", "<= 600", note)]
    for artefact, goal in ((f"{APP.name}-linux-x86_64.tar.xz", "<= 250"), (f"ecgstudio_{__version__}_amd64.deb", "")):
        path = APP.parent / artefact
        if path.is_file():
            rows.append(Row(f"{'tarball' if goal else '.deb'} size", path.stat().st_size / MB, "MiB", goal, artefact))
    return rows
