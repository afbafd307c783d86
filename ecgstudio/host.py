"""The host interface: the few calls a feature uses to plug into the main window.

A feature is a function ``attach_x(host) -> controller``. It builds its widgets and connects them
through this interface and :attr:`Host.context` only — never through another feature's internals or the
window's private parts — so features can be added, removed or reordered independently. What each call
does, with a minimal example: ``docs/PLUGGING_IN.md``. :class:`~ecgstudio.main_window.MainWindow`
implements it.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from ecgstudio.context import AppContext


class Host(Protocol):
    context: AppContext
    #: the ECG plot (EcgView) and the record list (LibraryPanel)
    view: Any
    library: Any
    #: the record shown (training.data.Record) and its R peaks (sample indices), None while unknown
    record: Any
    peaks: Any

    def add_panel(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea = Qt.RightDockWidgetArea,
                  beside: str | None = None) -> QDockWidget: ...

    def panel(self, name: str) -> QDockWidget | None: ...

    def menu(self, title: str) -> QMenu: ...

    def add_report_section(self, name: str, provider: Callable[[], Any]) -> None: ...

    def add_status_widget(self, widget: QWidget) -> None: ...

    def show_status(self, text: str, timeout_ms: int = 8000) -> None: ...
