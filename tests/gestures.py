"""Driving widgets as a user does, for the GUI tests: real mouse gestures for pyqtgraph widgets (presses,
moves and releases sent to the viewport, paced so pyqtgraph's move-rate limit does not drop them), combo
boxes picked from their pop-up list by mouse or keyboard, typing, and menu entries by their text."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget


def _send(widget: QWidget, kind: QEvent.Type, pos: QPoint, buttons, modifiers=Qt.NoModifier) -> None:
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.LeftButton, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def drag(qtbot, widget: QWidget, start: QPoint, end: QPoint, steps: int = 12, modifiers=Qt.NoModifier) -> None:
    """Press the left button at ``start``, move in ``steps`` to ``end`` (which may lie outside the
    widget, as a hand overshooting an edge does) and release there."""
    _send(widget, QEvent.MouseButtonPress, start, Qt.LeftButton, modifiers)
    for i in range(1, steps + 1):
        qtbot.wait(20)
        point = start + (end - start) * (i / steps)
        _send(widget, QEvent.MouseMove, point, Qt.LeftButton, modifiers)
    qtbot.wait(20)
    _send(widget, QEvent.MouseButtonRelease, end, Qt.NoButton, modifiers)


def overview_point(strip, t: float) -> QPoint:
    """Viewport pixel of record time ``t`` s on an overview strip, halfway up."""
    scene = strip.vb.mapViewToScene(QPointF(t, 0.0))
    point = strip.mapFromScene(scene)
    return QPoint(point.x(), strip.viewport().height() // 2)


def wheel(widget: QWidget, pos: QPoint, steps: int) -> None:
    """Roll the mouse wheel ``steps`` notches at ``pos`` (positive: away from the user)."""
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def choose_data(qtbot, combo, data) -> None:
    """Pick the item holding ``data`` from a combo box's popup list with the keyboard, as a user
    does (Enter on the item, even when it is the one already shown)."""
    combo.showPopup()
    qtbot.waitUntil(combo.view().isVisible)
    combo.view().setCurrentIndex(combo.model().index(combo.findData(data), 0))
    qtbot.keyClick(combo.view(), Qt.Key_Return)


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
