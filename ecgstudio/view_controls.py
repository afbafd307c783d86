"""The toolbar that drives an :class:`EcgView`: layout, paper speed, gain, zoom, display filter and
the mouse tool; remembered between sessions in QSettings."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from ecgstudio.plot import PRINT, STACKED, EcgView
from ecgstudio.plot.display import describe_band
from ecgstudio.plot.layout import is_twelve_lead
from ecgstudio.plot.paper import GAINS_MM_MV, SPEEDS_MM_S, ZOOMS
from ecgstudio.plot.viewbox import CALIPER, MARK, PAN
from training.data import Record

_LAYOUT_TEXT = {STACKED: "12×1", PRINT: "3×4 + rhythm"}
_TOOL_TEXT = {PAN: ("Pan", "H", "Drag to move along the record; wheel to zoom time, Shift+wheel to scroll"),
              CALIPER: ("Calipers", "C", "Drag to measure time (ms), heart rate and amplitude (mV)"),
              MARK: ("Mark interval", "M", "Drag over one lead to mark it; hold Shift to mark all leads")}


def _number(value: object, default: float | None) -> float | None:
    """A saved number, or ``default`` when a corrupt or foreign settings file holds something else."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def zoom_text(zoom: float | None) -> str:
    if zoom is None:
        return "Fit"
    return "100% (true size)" if zoom == 1.0 else f"{zoom * 100:.0f}%"


class ViewControls(QObject):
    def __init__(self, view: EcgView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.toolbar = QToolBar("View")
        self.toolbar.setObjectName("viewToolbar")
        self.layout_actions = self._exclusive({k: (v, None, None) for k, v in _LAYOUT_TEXT.items()}, self._layout)
        self.layout_actions[STACKED].setShortcut(QKeySequence("Ctrl+1"))
        self.layout_actions[PRINT].setShortcut(QKeySequence("Ctrl+2"))
        self.toolbar.addSeparator()
        self.speed = self._combo("Speed", [(f"{s:g} mm/s", s) for s in SPEEDS_MM_S], view.set_speed)
        #: beside the speed it qualifies: "not to scale" (and the speed really shown) while time is compressed
        self.scale_note = QLabel()
        self.scale_note.setStyleSheet("color: #8a1c1c; font-weight: bold; padding: 0 4px;")
        self.scale_note_action = self.toolbar.addWidget(self.scale_note)
        self.scale_note_action.setVisible(False)
        view.viewChanged.connect(self._update_scale_note)
        self.gain = self._combo("Gain", [(f"{g:g} mm/mV", g) for g in GAINS_MM_MV], view.set_gain)
        self.zoom = self._combo("Zoom", [(zoom_text(z), z) for z in ZOOMS], view.set_zoom)
        # choosing the zoom already shown still resets the wheel's time compression
        self.zoom.activated.connect(lambda i: view.set_zoom(self.zoom.itemData(i)))
        self.zoom.setToolTip("Zoom: Fit sizes the paper to the window (a short record whole, else 10 s); "
                             "choosing a zoom puts time back at the paper speed")
        view.viewChanged.connect(self._update_scale_note)
        self.filter = QAction(f"Filter {describe_band()}", self, checkable=True)
        self.filter.setToolTip(f"Band-pass the traces {describe_band()} for display (the record is not changed)")
        self.filter.setShortcut(QKeySequence("Ctrl+F"))
        self.filter.toggled.connect(view.set_filter)
        self.toolbar.addAction(self.filter)
        self.toolbar.addSeparator()
        self.tool_actions = self._exclusive(_TOOL_TEXT, view.set_tool)
        self.speed.setCurrentIndex(self.speed.findData(25.0))
        self.gain.setCurrentIndex(self.gain.findData(10.0))

    def _update_scale_note(self) -> None:
        note = self.view.scale_note()
        self.scale_note.setText(note)
        self.scale_note.setToolTip(f"The paper speed is {self.view.speed:g} mm/s but the screen compresses time; "
                                   "choose a zoom (Fit or 100%) to see it at the paper speed" if note else "")
        self.scale_note_action.setVisible(bool(note))

    def _exclusive(self, items: dict[str, tuple], slot) -> dict[str, QAction]:
        group = QActionGroup(self)
        actions = {}
        for key, (text, shortcut, tip) in items.items():
            action = QAction(text, self, checkable=True)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(f"{tip} ({shortcut})" if tip else text)
            action.triggered.connect(lambda _checked=False, k=key: slot(k))
            group.addAction(action)
            self.toolbar.addAction(action)
            actions[key] = action
        next(iter(actions.values())).setChecked(True)
        return actions

    def _combo(self, label: str, items: list[tuple[str, object]], slot) -> QComboBox:
        combo = QComboBox()
        combo.setToolTip(label)
        for text, value in items:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(lambda i, c=combo: slot(c.itemData(i)))
        self.toolbar.addWidget(QLabel(f" {label} "))
        self.toolbar.addWidget(combo)
        return combo

    def _layout(self, layout: str) -> None:
        self.view.set_layout(layout)
        self._sync_layout_actions()

    def record_changed(self, record: Record | None) -> None:
        """The print layout needs a 12-lead record; others are drawn stacked with their own leads."""
        twelve = record is not None and is_twelve_lead(record.leads)
        action = self.layout_actions[PRINT]
        action.setEnabled(twelve)
        action.setToolTip("Clinical print layout: 3×4 leads, 2.5 s each, and a 10-s lead-II rhythm strip"
                          if twelve else "Needs a 12-lead record; this record is shown with its own leads")
        self._sync_layout_actions()

    def _sync_layout_actions(self) -> None:
        sheet = self.view.sheet
        shown = sheet.layout if sheet is not None else self.view.layout_name
        self.layout_actions[shown].setChecked(True)

    def restore(self, settings: QSettings) -> None:
        layout = settings.value("view/layout", STACKED)
        self.view.set_layout(layout if layout in _LAYOUT_TEXT else STACKED)
        self._sync_layout_actions()
        for combo, key, default in ((self.speed, "view/speed", 25.0), (self.gain, "view/gain", 10.0)):
            index = combo.findData(_number(settings.value(key, default), default))
            combo.setCurrentIndex(index if index >= 0 else combo.findData(default))
        zoom = settings.value("view/zoom", "fit")
        self.zoom.setCurrentIndex(max(self.zoom.findData(None if zoom == "fit" else _number(zoom, None)), 0))
        self.filter.setChecked(str(settings.value("view/filter", False)).lower() in ("true", "1"))

    def save(self, settings: QSettings) -> None:
        settings.setValue("view/layout", self.view.layout_name)
        settings.setValue("view/speed", self.view.speed)
        settings.setValue("view/gain", self.view.gain)
        settings.setValue("view/zoom", "fit" if self.view.zoom is None else self.view.zoom)
        settings.setValue("view/filter", self.view.filter_on)
