"""Time as the sheet and the library show it: axis ticks in seconds, clock time (h:mm:ss) past a
minute, and record lengths."""

from __future__ import annotations

import pyqtgraph as pg


class TimeAxis(pg.AxisItem):
    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if not values or max(abs(v) for v in values) < 60:
            decimals = 0 if spacing >= 1 else (1 if spacing >= 0.1 else 2)
            return [f"{v:.{decimals}f} s" for v in values]
        return [clock(v, spacing) for v in values]


def clock(seconds: float, spacing: float = 1.0) -> str:
    """``h:mm:ss`` (``m:ss`` under an hour), with tenths when ticks are closer than a second."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs:04.1f}" if spacing < 1 else f"{int(secs):02d}"
    if hours >= 1:
        return f"{sign}{int(hours)}:{int(minutes):02d}:{sec_text}"
    return f"{sign}{int(minutes)}:{sec_text}"


def duration_text(seconds: float) -> str:
    """A record's length as a person reads it: ``10.0 s``, ``30:06 min``, ``1:00:00``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d} min"
