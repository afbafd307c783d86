"""Save PNGs of ECG Studio's main views on the bundled samples to docs/screenshots/ (``make screenshots``).

Runs offscreen (no display needed) with throw-away settings, so it neither needs nor changes the
user's session. Views: the 12x1 stacked sheet, the 3x4 print layout, a long record (MIT-BIH 100,
30 min) compressed in time and scrolled into it, and the calipers between two detected R peaks.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QDockWidget

    from ecgstudio.library import record_key
    from ecgstudio.__main__ import build_window
    from ecgstudio.paths import samples_dir

    app = QApplication.instance() or QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    samples = samples_dir()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.IniFormat)
        settings.setValue("annotations/library", str(Path(tmp) / "library.sqlite"))
        settings.setValue("models/user_dir", str(Path(tmp) / "models"))
        window = build_window(settings)  # with every feature's panel, as the ecgstudio command shows it
        window.show()  # a first start fills the screen; the shots are taken at a fixed size
        window.showNormal()
        window.resize(1600, 960)
        window.open_path(samples)
        settle(app, lambda: not window.library.scanning)

        def show(record: Path) -> None:
            window.library.select_key(record_key(record))
            settle(app, lambda: window.record is not None and window.peaks is not None)

        def save(name: str) -> None:
            settle(app, lambda: True, 0.3)
            path = args.out / name
            window.grab().save(str(path))
            print(path)

        ptbxl = samples / "ptbxl" / "records500" / "00000"
        show(ptbxl / "00063_hr")
        save("app_window.png")
        for dock in window.findChildren(QDockWidget):  # the sheet views below: the sheet alone
            if dock is not window.library_dock:
                dock.hide()
        window.controls.layout_actions["12x1"].trigger()
        show(ptbxl / "00063_hr")
        save("stacked_12x1.png")

        window.controls.layout_actions["3x4"].trigger()
        show(ptbxl / "00009_hr")
        save("print_3x4.png")

        window.controls.layout_actions["12x1"].trigger()
        show(samples / "mitdb" / "100")
        window.view.zoom_time(4.0, 0.0)
        window.view.go_to(302.0)
        save("long_record_zoomed.png")
        window.view.set_zoom(None)
        window.view.go_to(1240.0)  # reference beat symbols of 100.atr along the top (A: atrial premature)
        save("reference_beats.png")

        show(ptbxl / "00009_hr")
        peaks = window.peaks / window.record.fs
        window.controls.tool_actions["caliper"].trigger()
        lead_ii = window.view.sheet.baseline_mm(1)
        window.view.set_caliper(peaks[2], peaks[3], lead_ii, lead_ii + window.view.gain * 0.9)
        save("calipers.png")
        window.close()
    return 0


def settle(app, done, at_least: float = 0.0, timeout: float = 30.0) -> None:
    """Process events until ``done()`` (and at least ``at_least`` seconds), at most ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        app.processEvents()
        if done() and time.monotonic() - start >= at_least:
            return
        time.sleep(0.01)
    raise TimeoutError("the window did not settle")


if __name__ == "__main__":
    sys.exit(main())
