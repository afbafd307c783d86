"""Where the sheet's window is: which record time and which paper millimetres are on screen.

Pure arithmetic (no Qt) behind :class:`~ecgstudio.plot.ecg_view.EcgView`'s gestures. The stacked
layout scrolls continuously and may compress time (``time_scale`` < 1) to travel long records; the
print layout shows pages of ``sheet.page_s`` seconds, and panning past a page's edge slides the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecgstudio.plot.layout import COLUMN_S, PAGE_S, PRINT, Sheet

#: Paper above the first row (the beat ruler lives there) and below the last.
SHEET_TOP_MM = 7.0
SHEET_BOTTOM_MM = 3.0
#: Fitting never magnifies beyond this nor shrinks below that (relative to true size).
FIT_LIMITS = (0.3, 1.6)
#: Time compression limits of the stacked layout (1 = the paper speed).
TIME_SCALE_LIMITS = (1e-4, 8.0)
#: Fit sizes the paper for this speed: at a faster speed the same paper shows less time (time is
#: stretched, as on an electrocardiograph), it does not shrink to keep the same seconds on screen.
FIT_REFERENCE_SPEED = 25.0
#: Fit in the stacked layout shows a record this short whole; a longer one gets one page's width.
FIT_WHOLE_MAX_S = 20.0


@dataclass
class SheetNavigator:
    sheet: Sheet
    duration: float
    speed: float = 25.0
    time_scale: float = 1.0
    t_left: float = 0.0
    page_start: float = 0.0
    y_top: float = SHEET_TOP_MM
    #: more paper above the first row (the reference annotations' band)
    top_extra_mm: float = 0.0

    @property
    def paged(self) -> bool:
        return self.sheet.layout == PRINT

    def band(self) -> tuple[float, float]:
        """Bottom and top (mm) of the paper the sheet needs."""
        return -self.sheet.height_mm - SHEET_BOTTOM_MM, SHEET_TOP_MM + self.top_extra_mm

    def fit_span_s(self) -> float:
        """Seconds Fit puts across the window at 25 mm/s: the page (print layout), the whole record
        when it is short, else one page's worth of the record."""
        if self.paged:
            return self.sheet.page_s
        return self.duration if self.duration <= FIT_WHOLE_MAX_S else min(PAGE_S, self.duration)

    def fit_px_per_mm(self, width_px: float, height_px: float, gutter_mm: float, true_px_per_mm: float) -> float:
        """Pixels per mm that show every row and ``fit_span_s`` at 25 mm/s, within ``FIT_LIMITS``."""
        bottom, top = self.band()
        fit = min(height_px / (top - bottom),
                  width_px / (self.fit_span_s() * FIT_REFERENCE_SPEED + gutter_mm + 2.0))
        low, high = FIT_LIMITS
        return min(max(fit, low * true_px_per_mm), high * true_px_per_mm)

    def ranges(self, width_px: float, height_px: float,
               px_per_mm: float) -> tuple[tuple[float, float], tuple[float, float]]:
        """Clamp the window to the record and return the view's (x range s, y range mm)."""
        if self.paged:
            self.time_scale = 1.0
        span = self.span(width_px, px_per_mm)
        self._clamp_time(span)
        bottom, top = self.band()
        view_mm = height_px / px_per_mm
        self.y_top = top if view_mm >= top - bottom else min(max(self.y_top, bottom + view_mm), top)
        return (self.t_left, self.t_left + span), (self.y_top - view_mm, self.y_top)

    def span(self, width_px: float, px_per_mm: float) -> float:
        """Seconds across ``width_px`` at the paper speed times the time compression."""
        return width_px / (self.speed * px_per_mm * self.time_scale)

    def paper(self) -> tuple[float, float]:
        """Record time the paper covers: the page, or the whole record."""
        if self.paged:
            return self.page_start, self.page_start + self.sheet.page_s
        return 0.0, self.duration

    def window(self, span: float) -> tuple[float, float]:
        """What the overview strip marks as on screen: the page, or the visible time."""
        return self.paper() if self.paged else (self.t_left, self.t_left + span)

    # ------------------------------------------------------------ moves (then call ranges())
    def go_to(self, t: float) -> None:
        self.t_left = self.page_start = t

    def pan(self, dt: float, dy: float, span: float) -> None:
        t = self.t_left + dt
        if self.paged:  # moving past the page's edge slides the page itself
            lo, hi = self.page_start, self.page_start + max(self.sheet.page_s - span, 0.0)
            self.page_start += min(t - lo, 0.0) + max(t - hi, 0.0)
        self.t_left, self.y_top = t, self.y_top + dy

    def scroll(self, dy_mm: float) -> None:
        self.y_top += dy_mm

    def turn(self, columns: float) -> None:
        """Move the page by whole print columns (negative: back in time)."""
        self.page_start += columns * COLUMN_S
        self.t_left = self.page_start

    def step(self, direction: int, span: float) -> None:
        """One keyboard step: a column when paged, half a screen otherwise."""
        if self.paged:
            self.turn(direction)
        else:
            self.t_left += direction * 0.5 * span

    def zoom_time(self, factor: float, anchor: float | None, span: float) -> bool:
        """Show ``factor`` times as much time around ``anchor`` (default: the centre); paged sheets
        keep their page, returning False."""
        if self.paged:
            return False
        anchor = self.t_left + span / 2 if anchor is None else anchor
        new_scale = self._bounded_scale(self.time_scale / factor, span)
        self.t_left = anchor - (anchor - self.t_left) * self.time_scale / new_scale
        self.time_scale = new_scale
        return True

    def stretch_window(self, t0: float, t1: float, span: float) -> None:
        """The overview's window was stretched to ``[t0, t1]``: zoom time so that is what shows
        (within the compression limits), starting at ``t0``. Paged sheets only move."""
        if not self.paged and t1 > t0:
            self.time_scale = self._bounded_scale(self.time_scale * span / (t1 - t0), span)
        self.go_to(t0)

    def _bounded_scale(self, scale: float, span: float) -> float:
        """``scale`` within ``TIME_SCALE_LIMITS``, compressing no further than the whole record (nor
        below the paper speed for a record shorter than the window)."""
        low, high = TIME_SCALE_LIMITS
        whole = span * self.time_scale / max(self.duration, 1e-9)
        return min(max(scale, low, min(whole, 1.0)), high)

    def _clamp_time(self, span: float) -> None:
        if self.paged:
            page = self.sheet.page_s
            self.page_start = min(max(self.page_start, 0.0), max(self.duration - page, 0.0))
            self.t_left = min(max(self.t_left, self.page_start), self.page_start + max(page - span, 0.0))
        else:
            self.t_left = min(max(self.t_left, 0.0), max(self.duration - span, 0.0))
