"""LIME and occlusion of one record for one class, in record time: what the app and ``explain`` CLI show.

Explanations are computed on the model's own input - one window after the card's preprocessing - since
that is what the model decides on. For a record longer than one window it is the window where the class's
probability is highest (:meth:`Predictor.explain_window`); segment times are shifted back to record time.
Beat segmentation uses R peaks found on lead II of that window (lead I if there is no II).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.data.record import Record
from training.explain import Agreement, ExplainConfig, Explanation, explain_lime, explain_occlusion, rank_agreement
from training.explain.explainers import ProgressFn, segment_bounds
from training.inference import Predictor
from training.signal.rpeaks import detect_rpeaks

#: how many top segments the rank agreement compares
AGREEMENT_K = 5


@dataclass(frozen=True)
class RecordExplanation:
    lime: Explanation
    occlusion: Explanation
    agreement: Agreement
    window_start_s: float
    window_s: float
    n_windows: int

    @property
    def window(self) -> tuple[float, float]:
        return self.window_start_s, self.window_start_s + self.window_s

    def segments(self, method: str = "lime") -> list[tuple[str, float, float, float]]:
        """Every (lead, t0, t1, weight) of one method, in record seconds."""
        exp = self.lime if method == "lime" else self.occlusion
        bounds = exp.bounds / exp.fs + self.window_start_s
        return [(lead, float(b[0]), float(b[1]), float(w))
                for lead, row in zip(exp.leads, exp.weights) for b, w in zip(bounds, row)]

    def top(self, k: int = 10, method: str = "lime") -> list[tuple[str, float, float, float]]:
        """The ``k`` strongest segments (either sign), in record seconds."""
        exp = self.lime if method == "lime" else self.occlusion
        return [(lead, t0 + self.window_start_s, t1 + self.window_start_s, w) for lead, t0, t1, w in exp.top(k)]


def beat_peaks(x: np.ndarray, leads: tuple[str, ...], fs: float) -> np.ndarray:
    lead = "II" if "II" in leads else leads[0]
    return detect_rpeaks(x[leads.index(lead)], fs)


def n_evaluations(x: np.ndarray, fs: float, config: ExplainConfig, r_peaks: np.ndarray | None) -> int:
    """Model calls of LIME plus occlusion, for one progress bar over both."""
    return config.n_samples + x.shape[0] * len(segment_bounds(x, fs, config, r_peaks)) + 1


def explain_record(predictor: Predictor, record: Record, class_index: int, config: ExplainConfig,
                   progress: ProgressFn | None = None) -> RecordExplanation:
    """LIME, occlusion and their agreement; ``progress(done, total)`` returning False cancels."""
    x, start_s, n_windows = predictor.explain_window(record, class_index)
    leads, fs = tuple(predictor.card.leads), predictor.fs
    peaks = beat_peaks(x, leads, fs) if config.segmentation == "beats" else None
    total = n_evaluations(x, fs, config, peaks)

    def shifted(offset: int) -> ProgressFn | None:
        return None if progress is None else (lambda done, _n: progress(offset + done, total))

    lime = explain_lime(x, fs, leads, predictor.predict_batch, class_index, config, peaks, shifted(0))
    occlusion = explain_occlusion(x, fs, leads, predictor.predict_batch, class_index, config, peaks,
                                  shifted(config.n_samples))
    return RecordExplanation(lime, occlusion, rank_agreement(lime, occlusion, AGREEMENT_K), start_s,
                             predictor.input_length / fs, n_windows)
