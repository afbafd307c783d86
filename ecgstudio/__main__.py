"""``ecgstudio [PATH]`` / ``python -m ecgstudio [PATH]``: open a record or a folder of records.

Without PATH the last session's folder and record come back (or the bundled samples, the first time).
``ecgstudio --engine ARGS`` runs the training engine instead (``python -m training ARGS``): a frozen
app has no separate Python to start the engine with, so it starts itself with this hidden argument.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from pathlib import Path

from ecgstudio.engine_entry import ENGINE_FLAG
from training.version import __version__


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [ENGINE_FLAG]:
        from training.cli import main as engine_main

        return engine_main(argv[1:])
    parser = argparse.ArgumentParser(prog="ecgstudio", description="ECG Studio: view and study 12-lead ECGs.")
    parser.add_argument("path", nargs="?", type=Path,
                        help="a record (.hea/.dat/.mat, or a hospital export: .xml, .dcm, .edf, .scp) or a folder "
                             "searched recursively for records")
    parser.add_argument("--library", metavar="LOCATION",
                        help="the annotation library: a file, or a team server's postgresql:// URL "
                             "(default: $ECGSTUDIO_LIBRARY, else the one chosen in the app)")
    parser.add_argument("--smoke", action="store_true",
                        help="check every main feature offscreen, print each step's time, and exit (0 = all passed)")
    parser.add_argument("--version", action="version", version=f"ecgstudio {__version__}")
    args = parser.parse_args(argv)
    if args.smoke:
        from ecgstudio.smoke import run_smoke

        return run_smoke()

    from ecgstudio.paths import use_user_dirs

    use_user_dirs()  # before torch or the settings are first touched
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ECG Studio")
    app.setOrganizationName("ECG Studio")
    window = build_window(library=args.library)
    window.show()
    window.open_initial(args.path)
    from ecgstudio.start_probe import watch

    watch(window)  # the start benchmark's probe (a timer owned by the window); nothing unless it asks
    return app.exec()


def build_window(settings=None, library: str | None = None):
    """The main window with every feature plugged in, as the ``ecgstudio`` command shows it.

    Each feature attaches through the host interface and the shared context (``ecgstudio.host``,
    ``docs/PLUGGING_IN.md``); a feature whose library file cannot be opened says so and is left out.
    """
    from ecgstudio.annotations.controller import attach_annotations
    from ecgstudio.inference import attach_inference
    from ecgstudio.jobs.controller import attach_jobs
    from ecgstudio.main_window import MainWindow
    from ecgstudio.measure import attach_measure
    from ecgstudio.pe import attach_pe
    from ecgstudio.studies.controller import attach_studies

    window = MainWindow(settings)
    window.features["annotations"] = attach_annotations(window, library)
    window.features["inference"] = attach_inference(window)
    window.features["jobs"] = attach_jobs(window)
    window.features["pe"] = attach_pe(window, inference=window.features["inference"])
    window.features["studies"] = attach_studies(window, window.features["annotations"], window.features["jobs"])
    window.features["measure"] = attach_measure(window, window.features["annotations"], window.features["pe"])
    return window


if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen engine's data-loader workers start through this executable
    sys.exit(main())
