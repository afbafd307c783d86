"""``ecgstudio [PATH]`` / ``python -m ecgstudio [PATH]``: open a record or a folder of records."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ecgstudio", description="ECG Studio: view and study 12-lead ECGs.")
    parser.add_argument("path", nargs="?", type=Path, help="a record (.hea/.dat/.mat) or a folder of records")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from ecgstudio.main_window import MainWindow
    from ecgstudio.paths import samples_dir

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ECG Studio")
    app.setOrganizationName("ECG Studio")
    window = MainWindow()
    window.show()
    window.open_path(args.path or samples_dir())
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
