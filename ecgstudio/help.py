"""Help ▸ Keyboard shortcuts (F1) and Help ▸ About: what a user can press, and which version this is.

The shortcut sheet is read from the window's own menus when it opens, so a feature's new action is
listed without being registered here; only the sheet's keys (which are widget shortcuts, not menu
actions) and the mouse gestures are written out.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMainWindow, QMenu, QMessageBox, QTextBrowser, QVBoxLayout

#: Keys and gestures of the ECG sheet (click it first), as (keys, what they do).
SHEET_KEYS: tuple[tuple[str, str], ...] = (
    ("← / →", "half a screen back / forward (print layout: one column)"),
    ("Home / End", "start / end of the record"),
    ("+ / −", "zoom time in / out (12×1 layout)"),
    ("Esc", "hide the caliper"),
    ("Wheel", "zoom time (12×1) or turn the page (3×4)"),
    ("Shift+Wheel", "scroll the rows up and down"),
    ("Drag", "pan; with Calipers: measure; with Mark interval: mark a lead (Shift: all leads)"),
    ("Overview strip", "drag the blue window to move, its edges to zoom, click to jump"),
)


def menu_shortcuts(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, action, keys) of every menu action that has a shortcut, in menu order."""
    rows = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {action.text().replace('&', '')}")
            elif action.shortcuts():
                keys = ", ".join(k.toString(QKeySequence.NativeText) for k in action.shortcuts())
                rows.append((path, action.text().replace("&", "").rstrip("…"), keys))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), top.text().replace("&", ""))
    return rows


def shortcut_sheet_html(window: QMainWindow) -> str:
    rows = "".join(f"<tr><td><b>{escape(keys)}</b></td><td>{escape(text)}</td><td style='color:#666'>{escape(menu)}"
                   f"</td></tr>" for menu, text, keys in menu_shortcuts(window))
    sheet = "".join(f"<tr><td><b>{escape(keys)}</b></td><td colspan=2>{escape(text)}</td></tr>"
                    for keys, text in SHEET_KEYS)
    return ("<h3>Menus</h3><table cellspacing=0 cellpadding=3>" + rows + "</table>"
            "<h3>On the ECG sheet</h3><table cellspacing=0 cellpadding=3>" + sheet + "</table>")


class ShortcutSheet(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("shortcutSheet")
        self.setWindowTitle("ECG Studio — keyboard shortcuts")
        self.text = QTextBrowser()
        self.text.setHtml(shortcut_sheet_html(window))
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        column = QVBoxLayout(self)
        column.addWidget(self.text)
        column.addWidget(buttons)
        self.resize(560, 620)


def about_html() -> str:
    from training import __version__

    return (f"<h3>ECG Studio {escape(__version__)}</h3>"
            "<p>A workbench for clinical ECG research: open 12-lead records on ECG paper, measure and "
            "annotate them, run and explain trained classifiers, and launch training jobs.</p>"
            "<p>Not a medical device: for research use only.</p>")


def install_help_menu(window: QMainWindow) -> QMenu:
    """Add Help (last in the menu bar): the shortcut sheet on F1 and the About box."""
    menu = window.menuBar().addMenu("&Help")
    sheet = QAction("&Keyboard shortcuts…", window)
    sheet.setShortcut(QKeySequence("F1"))
    sheet.setShortcutContext(Qt.ApplicationShortcut)
    sheet.triggered.connect(lambda: _show(window, ShortcutSheet, "shortcutSheet"))
    menu.addAction(sheet)
    about = QAction("&About ECG Studio", window)
    about.triggered.connect(lambda: _about(window))
    menu.addAction(about)
    return menu


def _show(window: QMainWindow, kind, name: str) -> None:
    dialog = window.findChild(kind, name) or kind(window)
    dialog.show()
    dialog.raise_()


def _about(window: QMainWindow) -> None:
    box = window.findChild(QMessageBox, "aboutBox")
    if box is None:
        box = QMessageBox(QMessageBox.Information, "About ECG Studio", about_html(), QMessageBox.Ok, window)
        box.setObjectName("aboutBox")
        box.setTextFormat(Qt.RichText)
    box.open()
