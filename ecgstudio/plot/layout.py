"""Where each lead goes on the ECG sheet: the 12x1 stacked layout and the 3x4 print layout.

Pure geometry (no Qt), shared by the screen view and the PDF report so both place leads alike.
Vertical positions are paper millimetres (row baselines go down from 0); horizontal positions are
seconds of record time, which is how a clinical print lays out its columns: I/II/III show 0-2.5 s,
aVR/aVL/aVF 2.5-5 s, V1-V3 5-7.5 s, V4-V6 7.5-10 s, and the lead-II rhythm strip all 10 s.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.data import STANDARD_LEADS

STACKED = "12x1"
PRINT = "3x4"
LAYOUTS = (STACKED, PRINT)

#: The print layout's columns, each shown for ``COLUMN_S`` seconds, left to right.
PRINT_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("I", "II", "III"), ("aVR", "aVL", "aVF"), ("V1", "V2", "V3"), ("V4", "V5", "V6"),
)
COLUMN_S = 2.5
PAGE_S = COLUMN_S * len(PRINT_COLUMNS)
#: A record with at least this many of the 12 standard leads is drawn as a 12-lead ECG (the rest absent).
MIN_STANDARD_LEADS = 6
#: Row spacing: close enough to fit 12 rows on a screen, wider apart the fewer rows there are.
STACKED_PITCH_MM = 15.0
SOME_ROWS_PITCH_MM = 25.0
FEW_ROWS_PITCH_MM = 40.0
PRINT_PITCH_MM = 30.0
#: A trace may reach this many rows above and below its baseline (high voltage overlaps neighbours,
#: as on paper) and is cut there, so a wild signal cannot black out the sheet.
TRACE_REACH_ROWS = 1.5


@dataclass(frozen=True)
class Strip:
    """One lead on one row of the sheet, shown from ``start_s`` for ``length_s`` seconds of the page.

    ``length_s`` is ``None`` for a continuous strip (the whole record, stacked layout). ``present``
    is false for a standard lead the record lacks: its place is kept and labelled, not drawn.
    """

    lead: str
    row: int
    start_s: float = 0.0
    length_s: float | None = None
    present: bool = True

    def span(self, page_start: float, duration: float) -> tuple[float, float]:
        """Record time this strip shows when the page starts at ``page_start``."""
        if self.length_s is None:
            return 0.0, duration
        t0 = page_start + self.start_s
        return t0, min(t0 + self.length_s, duration)


@dataclass(frozen=True)
class Sheet:
    layout: str
    rows: int
    pitch_mm: float
    strips: tuple[Strip, ...]
    #: Seconds one page shows (print layout); ``None`` when the sheet scrolls continuously.
    page_s: float | None = None

    def baseline_mm(self, row: int) -> float:
        return -(row + 0.5) * self.pitch_mm

    @property
    def height_mm(self) -> float:
        return self.rows * self.pitch_mm

    def row_band(self, row: int) -> tuple[float, float]:
        """Bottom and top (mm) of a row."""
        top = -row * self.pitch_mm
        return top - self.pitch_mm, top

    def strips_of(self, lead: str) -> list[Strip]:
        return [s for s in self.strips if s.lead == lead and s.present]

    @property
    def row_leads(self) -> list[str | None]:
        """The lead a whole row shows (stacked rows, the rhythm strip), ``None`` for mixed rows."""
        leads: list[str | None] = []
        for row in range(self.rows):
            on_row = [s for s in self.strips if s.row == row]
            leads.append(on_row[0].lead if len(on_row) == 1 else None)
        return leads


def is_twelve_lead(leads: tuple[str, ...] | list[str]) -> bool:
    return sum(lead in leads for lead in STANDARD_LEADS) >= MIN_STANDARD_LEADS


def stacked_order(leads: tuple[str, ...] | list[str]) -> list[str]:
    """Rows of the stacked layout: the 12 standard leads in print order (absent ones kept) then any
    extra channels; a record that is not a 12-lead ECG keeps its own leads in its own order."""
    if not is_twelve_lead(leads):
        return list(leads)
    return list(STANDARD_LEADS) + [lead for lead in leads if lead not in STANDARD_LEADS]


def rhythm_lead(leads: tuple[str, ...] | list[str]) -> str | None:
    """Lead II when recorded, else the first standard lead recorded, else the first lead."""
    for lead in STANDARD_LEADS[1:2] + STANDARD_LEADS:
        if lead in leads:
            return lead
    return leads[0] if leads else None


def plan_sheet(layout: str, leads: tuple[str, ...] | list[str]) -> Sheet:
    """The sheet for ``layout``; the print layout needs a 12-lead record and falls back to stacked."""
    if layout == PRINT and is_twelve_lead(leads):
        strips = [Strip(lead, row, col * COLUMN_S, COLUMN_S, lead in leads)
                  for col, column in enumerate(PRINT_COLUMNS) for row, lead in enumerate(column)]
        rows = len(PRINT_COLUMNS[0])
        strips.append(Strip(rhythm_lead(leads), rows, 0.0, PAGE_S))
        return Sheet(PRINT, rows + 1, PRINT_PITCH_MM, tuple(strips), PAGE_S)
    order = stacked_order(leads)
    pitch = STACKED_PITCH_MM if len(order) > 6 else SOME_ROWS_PITCH_MM if len(order) > 3 else FEW_ROWS_PITCH_MM
    strips = tuple(Strip(lead, row, present=lead in leads) for row, lead in enumerate(order))
    return Sheet(STACKED, len(order), pitch, strips)
