"""Driving widgets as a user does, for the workflow tests: pick from a combo box's pop-up with the mouse,
type into a field, trigger a menu entry by its text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox


def choose(qtbot, combo: QComboBox, text: str) -> None:
    """Pick the item containing ``text`` from the combo box's pop-up list with the mouse, as a user does."""
    target = combo.findText(text, Qt.MatchContains)
    assert target >= 0, f"{text!r} not offered by the combo box"
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=2000)
    index = view.model().index(target, combo.modelColumn(), view.rootIndex())
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.visualRect(index).center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=2000)
    assert combo.currentIndex() == target and text in combo.currentText()


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key_Delete)
    qtbot.keyClicks(widget, text)


def menu_action(window, menu_title: str, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu_title)
    return next(a for a in menu.actions() if a.text().replace("&", "").startswith(text))
