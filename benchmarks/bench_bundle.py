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


@benchmark("bundle_size")
def bundle_size() -> list[Row]:
    if not EXECUTABLE.is_file():
        return _missing((f"bundle size ({APP.name})",), "MiB")
    files = [p for p in APP.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files) / MB
    torch_lib = sum(p.stat().st_size for p in (APP / "_internal" / "torch" / "lib").glob("*")) / MB
    note = f"{len(files)} files; torch/lib {torch_lib:.0f} MiB"
    rows = [Row(f"bundle size ({APP.name})", size, "MiB", "<= 600", note)]
    for artefact, goal in ((f"{APP.name}-linux-x86_64.tar.xz", "<= 250"), (f"ecgstudio_{__version__}_amd64.deb", "")):
        path = APP.parent / artefact
        if path.is_file():
            rows.append(Row(f"{'tarball' if goal else '.deb'} size", path.stat().st_size / MB, "MiB", goal, artefact))
    return rows
