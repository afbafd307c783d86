"""ECG paper arithmetic (no Qt): paper speed and gain, screen millimetres, grid lines, calibration pulse.

Sheet coordinates are seconds (x) and paper millimetres (y). A trace sample of ``v`` mV on a row
whose baseline is ``b`` mm is drawn at ``b + gain * v`` mm, so the grid is always 1 mm / 5 mm and
changing the gain moves nothing but the traces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MM_PER_INCH = 25.4
SPEEDS_MM_S = (25.0, 50.0)
GAINS_MM_MV = (5.0, 10.0, 20.0)
#: Magnifications offered; ``None`` fits the sheet to the window (the grid stays square).
ZOOMS: tuple[float | None, ...] = (None, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
MINOR_MM = 1.0
MAJOR_MM = 5.0
#: Grid lines closer than this many screen pixels are not drawn (they would only grey the paper).
MIN_LINE_SPACING_PX = 3.0
CAL_PULSE_S = 0.2
CAL_PULSE_MV = 1.0
#: Screens that report a physical density outside this range (virtual displays) get the logical one.
PLAUSIBLE_DPI = (50.0, 600.0)


@dataclass(frozen=True)
class PaperScale:
    """How paper maps to the screen: speed (mm/s), gain (mm/mV) and screen pixels per paper mm."""

    speed: float = 25.0
    gain: float = 10.0
    px_per_mm: float = 96.0 / MM_PER_INCH

    @property
    def px_per_s(self) -> float:
        return self.speed * self.px_per_mm

    @property
    def px_per_mv(self) -> float:
        return self.gain * self.px_per_mm


def screen_px_per_mm(physical_dpi: float, logical_dpi: float, device_pixel_ratio: float) -> float:
    """Logical (device-independent) pixels per millimetre of the real screen.

    Qt lays out in logical pixels; a physical density is in device pixels, hence the ratio. A density
    a virtual or misconfigured display invents is replaced by the logical one.
    """
    dpi = physical_dpi / max(device_pixel_ratio, 1e-6)
    if not (PLAUSIBLE_DPI[0] <= dpi <= PLAUSIBLE_DPI[1]):
        dpi = logical_dpi
    return dpi / MM_PER_INCH


def grid_positions(lo: float, hi: float, step: float) -> np.ndarray:
    """Multiples of ``step`` within ``[lo, hi]`` (grid lines are anchored at 0)."""
    first, last = math.ceil(lo / step), math.floor(hi / step)
    return np.arange(first, last + 1, dtype=np.float64) * step


def split_major(positions: np.ndarray, step: float,
                every: int = int(MAJOR_MM / MINOR_MM)) -> tuple[np.ndarray, np.ndarray]:
    """Split grid positions (multiples of ``step``) into minor lines and every ``every``-th major line."""
    index = np.rint(positions / step).astype(np.int64)
    major = index % every == 0
    return positions[~major], positions[major]


def calibration_pulse(x0_mm: float, baseline_mm: float, scale: PaperScale) -> tuple[list[float], list[float]]:
    """Polyline (mm, mm) of the 1 mV, 200 ms calibration pulse starting at ``x0_mm``: 2 mm of
    baseline, the step up, the plateau, the step down, 2 mm of baseline."""
    width = CAL_PULSE_S * scale.speed
    height = CAL_PULSE_MV * scale.gain
    xs = [x0_mm, x0_mm + 2, x0_mm + 2, x0_mm + 2 + width, x0_mm + 2 + width, x0_mm + 4 + width]
    top = baseline_mm + height
    ys = [baseline_mm, baseline_mm, top, top, baseline_mm, baseline_mm]
    return xs, ys


def calibration_width_mm(scale: PaperScale) -> float:
    return CAL_PULSE_S * scale.speed + 4.0


def pulse_offsets_mm(baselines_mm: list[float], scale: PaperScale, clearance_mm: float = 1.0) -> list[float]:
    """Horizontal offset of each row's calibration pulse. A 1 mV pulse taller than the row pitch
    (20 mm/mV on 15-mm rows) would touch the pulse above it and the column would read as a ladder,
    so then every other row's pulse steps right by one pulse width."""
    if len(baselines_mm) < 2:
        return [0.0] * len(baselines_mm)
    pitch = min(abs(a - b) for a, b in zip(baselines_mm, baselines_mm[1:]))
    if CAL_PULSE_MV * scale.gain + clearance_mm <= pitch:
        return [0.0] * len(baselines_mm)
    step = calibration_width_mm(scale) + clearance_mm
    return [step if i % 2 else 0.0 for i in range(len(baselines_mm))]
