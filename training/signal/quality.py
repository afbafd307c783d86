"""Is this a recording of a heart at all? The check every model, measurement and explanation runs first.

A reader can only refuse what a file's structure gives away. A file that parses but holds garbage
(an all-zero recording, an absurd ADC baseline, bytes overwritten in the signal file, a lead off its
electrode) still reaches a classifier, which then reports a confident diagnosis of nothing. The checks
here look at the samples of each voltage lead:

* **non-finite** samples (NaN, inf);
* **offset**: the median is more than :data:`OFFSET_MV` from zero (real records stay within 0.4 mV;
  an absurd baseline puts every sample at -1e11 mV);
* **flat**: peak-to-peak below :data:`FLAT_MV` over the whole record (a real lead's is at least 0.2 mV
  in every record of the shared corpus; zero-filled files and disconnected leads are flat);
* **amplitude**: more than :data:`OUTLIER_FRACTION` of samples more than :data:`AMPLITUDE_MV` from
  the median (the largest QRS complexes are ~10 mV);
* **slew**: more than :data:`OUTLIER_FRACTION` of steps faster than :data:`SLEW_MV_PER_S` (real QRS
  upstrokes stay under 700 mV/s at the 99.9th percentile and no real step exceeds 5 V/s; pacemaker spikes
  of a few mV per sample stay below it; random bytes in a signal file step tens of millivolts per sample);
* **saturated**: more than :data:`SATURATED_FRACTION` of samples pinned at the lead's extreme value (a
  clipping amplifier; real leads touch their extreme in at most 1.3 % of samples).

The thresholds were set from every ECG lead of the shared corpus (PTB-XL, CPSC2018, Georgia, LUDB,
MIT-BIH and the WFDB samples except the two storage-format test files, which are not ECGs), leaving a
wide margin: none of them is refused (tests/test_signal_quality.py checks that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.data.record import Record
from training.errors import RecordError

FLAT_MV = 0.05
OFFSET_MV = 500.0
AMPLITUDE_MV = 20.0
SLEW_MV_PER_S = 5_000.0
OUTLIER_FRACTION = 0.0005
SATURATED_FRACTION = 0.05
#: A long record is judged from evenly spaced spans of this many samples (bounded work for Holter records).
SAMPLE_SPAN = 5000
MAX_SPANS = 64


class SignalQualityError(RecordError):
    """The record reads, but its samples cannot be an ECG: no model, measurement or explanation may use it."""


@dataclass(frozen=True)
class LeadProblem:
    lead: str
    problem: str

    def __str__(self) -> str:
        return f"{self.lead}: {self.problem}"


def lead_problems(record: Record, leads: tuple[str, ...] | list[str] | None = None) -> list[LeadProblem]:
    """What is wrong with each voltage lead (all of them, or ``leads``); empty when the signal looks like an ECG."""
    wanted = [i for i, lead in enumerate(record.leads)
              if record.units[i] == "mV" and (leads is None or lead in leads)]
    problems = []
    for i, samples in zip(wanted, _sample(record.signal, wanted)):
        problem = _problem(samples, record.fs)
        if problem:
            problems.append(LeadProblem(record.leads[i], problem))
    return problems


def signal_findings(record: Record, leads: tuple[str, ...] | list[str] | None = None) -> list[LeadProblem]:
    """:func:`check_signal`'s findings without refusing on them, for callers that leave bad leads out (the
    measurement). A memory-mapped record's checksums are verified first (``RecordError`` on a mismatch):
    an eager read verified them already, a mapped one could not without reading the whole file on opening."""
    verify = getattr(record.signal, "verify_checksums", None)
    if verify is not None:
        verify()
    return lead_problems(record, leads)


def check_signal(record: Record, leads: tuple[str, ...] | list[str] | None = None) -> None:
    """Raise :class:`SignalQualityError` naming every unusable lead among ``leads`` (default: all), or the
    reader's ``RecordError`` when a memory-mapped record's samples fail their checksums."""
    problems = signal_findings(record, leads)
    if problems:
        shown = "; ".join(str(p) for p in problems[:4])
        more = f"; and {len(problems) - 4} more lead(s)" if len(problems) > 4 else ""
        raise SignalQualityError(record.path, f"the samples are not a usable ECG ({shown}{more}); "
                                              "no diagnosis is made from them")


def _sample(signal, leads: list[int]) -> list[np.ndarray]:
    """Leads ``leads`` whole, or evenly spaced spans of long ones (``[spans, SAMPLE_SPAN]``), as float64
    (spans keep slew measurable).

    Only the spans are read, all leads of a span at once, so a memory-mapped Holter record is checked
    with 64 small reads and without loading it.
    """
    if not leads:
        return []
    n = signal.shape[-1]
    if n <= SAMPLE_SPAN * MAX_SPANS:
        return [np.asarray(signal[i, :], dtype=np.float64) for i in leads]
    spans = np.empty((len(leads), MAX_SPANS, SAMPLE_SPAN))
    for k, start in enumerate(np.linspace(0, n - SAMPLE_SPAN, MAX_SPANS).astype(int)):
        spans[:, k] = signal[leads, start:start + SAMPLE_SPAN]
    return list(spans)


def _problem(x: np.ndarray, fs: float) -> str | None:
    if not np.isfinite(x).all():
        return f"{int((~np.isfinite(x)).sum())} non-finite sample(s)"
    median = float(np.median(x))
    if abs(median) > OFFSET_MV:
        return f"sits at {median:.3g} mV, not a body-surface potential (a wrong ADC baseline?)"
    peak_to_peak = float(x.max() - x.min())
    if peak_to_peak < FLAT_MV:
        return f"flat (varies by {peak_to_peak * 1000:.3g} µV; no signal recorded)"
    n = x.size
    far = int((np.abs(x - median) > AMPLITUDE_MV).sum())
    if far > OUTLIER_FRACTION * n:
        return f"{far} sample(s) beyond ±{AMPLITUDE_MV:g} mV, which no heart produces (a wrong gain or corrupt data?)"
    steps = np.abs(np.diff(x, axis=-1)) * fs
    fast = int((steps > SLEW_MV_PER_S).sum())
    if fast > OUTLIER_FRACTION * n:
        return f"{fast} step(s) faster than {SLEW_MV_PER_S / 1000:g} V/s (noise or damaged samples)"
    pinned = max(int((x == x.max()).sum()), int((x == x.min()).sum()))
    if pinned > SATURATED_FRACTION * n:
        return f"saturated ({100 * pinned / n:.0f} % of samples at its limit)"
    return None
