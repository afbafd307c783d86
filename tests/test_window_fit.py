"""The window fits the screen and restores cleanly (issue #15 §2): the whole app's minimum size fits
1366×768 and 1920×1080, every panel's controls stay reachable, a first start fills the screen with
the model's Run button in view, and a saved session — the real broken one, a corrupt file, a foreign
file, a panel floated off screen — never breaks the window (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QMenu, QTabBar

from ecgstudio.window_state import available_area, layout_is_sane
from tests.app_window import full_window, isolated_settings

#: Available areas (screen minus a 40-px task bar) the window must work in.
SCREENS = {"1366x768": (1366, 728), "1920x1080": (1920, 1040)}


def shown(qtbot, settings: QSettings):
    window = full_window(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def reachable(widget, window) -> bool:
    """Shown, inside the window and what a click at its centre lands on (not scrolled or covered
    out of sight)."""
    if not widget.isVisible():
        return False
    centre = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()).center()
    hit = window.childAt(centre)
    return window.rect().contains(centre) and hit is not None and (hit is widget or widget.isAncestorOf(hit))


def dock(window, name: str) -> QDockWidget:
    return window.findChild(QDockWidget, name)


def file_menu_opens(window, qtbot) -> bool:
    bar = window.menuBar()
    file_action = bar.actions()[0]
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.actionGeometry(file_action).center())
    menu: QMenu = file_action.menu()
    opened = menu.isVisible()
    menu.close()
    return opened


@pytest.mark.parametrize("screen", SCREENS)
def test_every_panel_and_button_fits_the_screen(qtbot, tmp_path, screen):
    width, height = SCREENS[screen]
    window = shown(qtbot, isolated_settings(tmp_path))
    window.open_initial(None)  # the bundled samples
    qtbot.waitUntil(lambda: window.record is not None, timeout=20000)
    dock(window, "jobsDock").show()  # the training-jobs panel made the window 1197 px tall
    window.showNormal()
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size().height() <= height)
    minimum = window.minimumSizeHint()
    assert minimum.width() <= width and minimum.height() <= height
    assert window.height() <= height and window.width() <= width
    run = window.features["inference"].panel.run_button
    for widget in (window.statusBar(), window.menuBar(), window.controls.toolbar, run, window.view.canvas):
        assert reachable(widget, window), widget
    assert window.view.canvas.height() > 0.4 * height  # the curves keep room beside the jobs panel
    bars = [b for b in window.findChildren(QTabBar) if b.parent() is window and b.isVisible()]
    texts = [tuple(b.tabText(i) for i in range(b.count())) for b in bars]
    assert len(texts) == len(set(texts))  # Qt's stale second "Annotations | PE work-up" bar is gone...
    assert not any(b.geometry().intersects(window.centralWidget().geometry()) for b in bars)  # ...not on the sheet
    window.close()


def test_first_start_fills_the_screen_with_the_run_button_in_view(qtbot, tmp_path):
    window = shown(qtbot, isolated_settings(tmp_path))
    area = available_area(window)
    assert window.isMaximized() or (window.width() >= 0.9 * area.width() and window.height() >= 0.9 * area.height())
    assert window.frameGeometry().height() <= area.height() + 40
    assert reachable(window.features["inference"].panel.run_button, window)
    window.close()


def test_the_broken_session_restores_without_covering_the_menu(qtbot, tmp_path, shared_data):
    """The real settings file saved after: maximised, panels resized, jobs panel floated, closed."""
    settings = isolated_settings(tmp_path, shared_data / "app" / "broken_restore_ECG_Studio.conf")
    settings.setValue("annotations/library", str(tmp_path / "library.sqlite"))
    window = shown(qtbot, settings)
    assert window.isMaximized()  # the saved geometry is honoured...
    assert layout_is_sane(window)  # ...and no panel lies over the menu bar or outside the window
    for name in ("modelDock", "annotationDock", "libraryDock"):
        panel = dock(window, name)
        assert window.dockWidgetArea(panel) != Qt.NoDockWidgetArea
        assert panel.geometry().top() > window.menuBar().geometry().bottom()
    assert not dock(window, "jobsDock").isVisible()  # closed last time, closed now
    assert file_menu_opens(window, qtbot)
    window.close()


def test_panels_attached_after_the_window_get_their_saved_places(qtbot, tmp_path):
    """The cause of the broken restore: the state was applied before the features attached their
    panels. A Model panel moved to the left comes back on the left."""
    settings = isolated_settings(tmp_path)
    window = shown(qtbot, settings)
    window.addDockWidget(Qt.LeftDockWidgetArea, dock(window, "modelDock"))
    window.close()  # saves the session
    again = shown(qtbot, isolated_settings(tmp_path))
    assert again.dockWidgetArea(dock(again, "modelDock")) == Qt.LeftDockWidgetArea
    assert layout_is_sane(again) and file_menu_opens(again, qtbot)
    again.close()


def test_a_panel_floated_off_screen_comes_back(qtbot, tmp_path):
    window = shown(qtbot, isolated_settings(tmp_path))
    jobs = dock(window, "jobsDock")
    jobs.show()
    jobs.setFloating(True)
    jobs.move(20000, 20000)
    window.close()
    again = shown(qtbot, isolated_settings(tmp_path))
    jobs = dock(again, "jobsDock")
    assert not jobs.isFloating() or again.screen().availableGeometry().contains(jobs.frameGeometry().center())
    again.close()


@pytest.mark.parametrize("content", [
    b"\x00\xff garbage \x89PNG\r\n" * 50,
    b"[window]\ngeometry=12\nstate=not a state\n[view]\nspeed=fast\ngain=[1, 2]\nzoom=huge\nfilter=maybe\n"
    b"layout=5x5\n[library]\nfolder=/nonexistent/place\nrecord=42\n",
    b"[General]\nsomething=else\n[window]\ngeometry=@ByteArray(\\x1\\xd9\\xd0\\xcb\\0\\x3)\n",
])
def test_a_corrupt_or_foreign_settings_file_never_breaks_the_window(qtbot, tmp_path, content):
    path = tmp_path / "foreign.ini"
    path.write_bytes(content)
    settings = isolated_settings(tmp_path, path)
    window = shown(qtbot, settings)
    assert layout_is_sane(window) and file_menu_opens(window, qtbot)
    assert window.view.speed == 25.0 and window.view.gain == 10.0  # unreadable values: the defaults
    area = available_area(window)
    assert area.intersects(window.frameGeometry())
    window.open_initial(None)  # a folder that does not exist: the samples open instead
    qtbot.waitUntil(lambda: window.record is not None, timeout=20000)
    window.close()
