"""``ecgstudio [PATH]`` / ``python -m ecgstudio [PATH]``: open a record or a folder of records.

Without PATH the last session's folder and record come back (or the bundled samples, the first time).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ecgstudio", description="ECG Studio: view and study 12-lead ECGs.")
    parser.add_argument("path", nargs="?", type=Path,
                        help="a record (.hea/.dat/.mat) or a folder searched recursively for records")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from ecgstudio.annotations.controller import attach_annotations
    from ecgstudio.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ECG Studio")
    app.setOrganizationName("ECG Studio")
    window = MainWindow()
    attach_annotations(window)
    window.show()
    window.open_initial(args.path)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
