"""Applying a saved model to one record, exactly as its card says: the app's and the CLI's inference.

The card's pipeline (lead selection, band-pass at the record's own rate, resampling, normalisation) is
replayed on the whole record (a memory-mapped Holter record span by span, see
:mod:`training.signal.pipeline`), then the model sees fixed windows of ``card.input_length`` samples:

* a record of exactly one window, or shorter but at least :data:`MIN_FRACTION` of one, gets a single
  window, zero-padded at the end - the same :func:`fit_length` evaluation uses, so on records of the
  training length the app reproduces the card's metrics;
* a longer record is covered by windows overlapping by half (the last one ends at the record's end) and
  the record's score is the **mean of the window scores**. The mean is the aggregation of
  the PTB-XL benchmark (Strodthoff et al., 2021); the maximum would call more positives the longer the
  record, because each extra window is another chance of a false alarm, while thresholds were chosen on
  records of one window.

When the card has a ``calibration`` section (:mod:`training.calibration`, fitted on the validation
split) the record's mean score goes through it, and what every caller gets - the app's bars, ``predict``,
``evaluate``, the cohort comparison, LIME - is a calibrated probability, compared with thresholds
chosen on calibrated validation probabilities.

A record that cannot meet the model's contract (missing leads, too short, sampled below the model's
rate) raises :class:`ContractError` with a sentence a clinician can act on; nothing is guessed. A record
whose samples in the model's leads cannot be an ECG (flat, saturated, non-finite, non-physiological
amplitude or slew: :mod:`training.signal.quality`) raises :class:`SignalQualityError` before the model
runs, so a broken file never becomes a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from training.probability import WIDE_INTERVAL, describe, probability_evidence
from training.calibration import Calibration
from training.checkpoint import ModelCard, load_model
from training.data.readers import read_record
from training.data.record import Record
from training.errors import ConfigError, ModelFileError, RecordError
from training.fit.device import select_device
from training.signal.quality import check_signal
from training.ood import Caution, cautions
from training.signal.windows import fit_length, window_starts

#: shortest usable record, as a fraction of the model's input window (the rest is zero padding)
MIN_FRACTION = 0.5
#: windows of long records overlap by half
STRIDE_FRACTION = 0.5
#: inputs per forward pass in :meth:`Predictor.predict_batch` (bounds memory on LIME's large batches)
BATCH = 256


class ContractError(RecordError):
    """The record is readable but not what the model accepts (leads, length or sampling rate)."""


@dataclass(frozen=True, eq=False)
class Prediction:
    """The model's reading of one record; ``window_probs`` row ``i`` is the window at ``window_starts_s[i]``."""

    probs: np.ndarray
    classes: tuple[str, ...]
    display: tuple[str, ...]
    thresholds: np.ndarray
    positive: np.ndarray
    device: str
    n_windows: int
    window_probs: np.ndarray
    window_starts_s: tuple[float, ...] = ()
    window_s: float = 0.0
    #: what a probability means for this model (calibrated on which data, or not at all)
    meaning: str = ""
    #: per class, the exact 95 % interval of the share of positives among validation records given
    #: a probability in the same bin, and how many there were (None: no calibration bins in the card)
    evidence: tuple[tuple[float, float, int] | None, ...] = ()
    #: reasons to distrust this prediction (:mod:`training.ood`): shown beside it, never hidden
    cautions: tuple[Caution, ...] = ()

    @property
    def labels(self) -> list[str]:
        """Display names of the positive classes."""
        return [d for d, flag in zip(self.display, self.positive) if flag]

    def uncertain(self, index: int) -> tuple[float, float] | None:
        """The evidence interval of class ``index`` when it is wide (:data:`WIDE_INTERVAL`), else None."""
        if index >= len(self.evidence) or self.evidence[index] is None:
            return None
        low, high, _ = self.evidence[index]
        return (low, high) if high - low > WIDE_INTERVAL else None


class Predictor:
    """A loaded model plus its card; thread-safe for inference (no state changes after loading)."""

    def __init__(self, model: torch.nn.Module, card: ModelCard, device: torch.device, path: Path | None = None):
        self.model = model
        self.card = card
        self.torch_device = device
        self.path = path
        self.pipeline = card.pipeline
        labels = card.labels
        self.classes: tuple[str, ...] = tuple(labels.classes)
        self.display: tuple[str, ...] = tuple(labels.display)
        self.thresholds = card.threshold_array
        self.calibration: Calibration | None = None
        if card.calibration and not card.single_label:
            try:
                self.calibration = Calibration.from_dict(card.calibration, self.classes)
            except ConfigError as exc:
                raise ModelFileError(path or Path("model card"), f"calibration section: {exc}") from None

    @classmethod
    def from_path(cls, model_path: str | Path, device: str = "auto") -> "Predictor":
        torch_device = select_device(device)
        model, card = load_model(model_path, torch_device)
        return cls(model, card, torch_device, Path(model_path))

    @property
    def device(self) -> str:
        """``'cpu'``, ``'cuda:0'``...: what the person is told ran the model."""
        d = self.torch_device
        if d.type == "cuda":
            return f"cuda:{d.index if d.index is not None else torch.cuda.current_device()}"
        return str(d)

    @property
    def fs(self) -> float:
        return float(self.card.fs)

    @property
    def input_length(self) -> int:
        return int(self.card.input_length)

    @property
    def min_seconds(self) -> float:
        return MIN_FRACTION * self.input_length / self.fs

    # ------------------------------------------------------------------ contract
    def check(self, record: Record) -> None:
        """Raise :class:`ContractError` when the record cannot be read by this model as trained."""
        missing = record.missing_leads(self.card.leads)
        if missing:
            raise ContractError(record.path, f"this model needs the {len(self.card.leads)} leads "
                                             f"{', '.join(self.card.leads)}; the record has {len(record.leads)} "
                                             f"({', '.join(record.leads)}) and lacks {', '.join(missing)}")
        if record.fs < self.fs:
            raise ContractError(record.path, f"sampled at {record.fs:g} Hz, below the model's {self.fs:g} Hz; "
                                             "upsampling cannot restore the missing frequencies")
        if record.duration < self.min_seconds:
            raise ContractError(record.path, f"{record.duration:.2f} s long; this model needs at least "
                                             f"{self.min_seconds:g} s (its input is {self.input_length / self.fs:g} s)")
        check_signal(record, self.card.leads)

    def preprocess(self, record: Record) -> np.ndarray:
        """The whole record as the model's pipeline makes it: float32 ``[leads, samples at card.fs]``."""
        self.check(record)
        return self.pipeline.apply(record)

    def window_starts(self, n_samples: int) -> list[int]:
        """Where the windows of a preprocessed record of ``n_samples`` start (overlapping by half)."""
        return window_starts(n_samples, self.input_length, max(1, int(self.input_length * STRIDE_FRACTION)))

    def windows(self, x: np.ndarray) -> tuple[np.ndarray, list[int]]:
        """``([windows, leads, input_length], starts)`` of a preprocessed record."""
        starts = self.window_starts(x.shape[-1])
        return np.stack([fit_length(x, self.input_length, s) for s in starts]), starts

    # ------------------------------------------------------------------ inference
    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        """Probabilities ``[N, C]`` of inputs already preprocessed and windowed, ``[N, leads, input_length]``.

        With a calibration in the card these are calibrated probabilities (every caller - app, CLI,
        LIME, cohort comparison, evaluation - sees the same numbers); :meth:`raw_scores` gives the
        network's own sigmoid outputs, which is what a calibration is fitted on.
        """
        scores = self.raw_scores(x)
        return self._calibrate(scores).astype(np.float32) if len(scores) else scores

    def raw_scores(self, x: np.ndarray) -> np.ndarray:
        """The network's sigmoid (or softmax) outputs ``[N, C]``, before any calibration."""
        x = np.asarray(x, dtype=np.float32)
        out = []
        with torch.inference_mode():
            for i in range(0, len(x), BATCH):
                batch = torch.from_numpy(np.ascontiguousarray(x[i:i + BATCH])).to(self.torch_device)
                logits = self.model(batch).float()
                probs = logits.softmax(1) if self.card.single_label else logits.sigmoid()
                out.append(probs.cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), dtype=np.float32)

    def positives(self, probs: np.ndarray) -> np.ndarray:
        """Which classes are called: the top class for single-label models, else ``probs >= thresholds``."""
        if self.card.single_label:
            return probs == probs.max()
        return probs >= self.thresholds

    def _calibrate(self, scores: np.ndarray) -> np.ndarray:
        return scores if self.calibration is None else self.calibration.apply(scores)

    def _raw_windows(self, record: Record) -> tuple[np.ndarray, list[int]]:
        return self._window_scores(self.preprocess(record))

    def _window_scores(self, x: np.ndarray) -> tuple[np.ndarray, list[int]]:
        """Raw scores of every window of a preprocessed record, with their starts. Windows are cut
        ``BATCH`` at a time, so a Holter-length record's (17,000 for 24 h) are never all in memory."""
        n, starts = self.input_length, self.window_starts(x.shape[-1])
        scores = [self.raw_scores(np.stack([fit_length(x, n, s) for s in starts[i:i + BATCH]]))
                  for i in range(0, len(starts), BATCH)]
        return np.concatenate(scores).astype(np.float64), starts

    def record_probability(self, record: Record, calibrated: bool = True) -> np.ndarray:
        """The record's probabilities ``[C]`` exactly as :meth:`predict` reports them.

        The calibration map is applied to the mean of the windows' raw scores: what it was fitted on
        (validation records' mean raw scores), so a long record is calibrated like a short one.
        """
        raw = self._raw_windows(record)[0].mean(axis=0)
        return self._calibrate(raw) if calibrated else raw

    def signal_probabilities(self, signals: Sequence[np.ndarray], calibrated: bool = True) -> np.ndarray:
        """:meth:`record_probability` ``[records, C]`` of records already through the card's pipeline.

        The same windows, mean and calibration as one record at a time, with the windows of many
        records in shared batches: how evaluation and training score a split (from the dataset's cache
        of pipeline outputs) without a second code path.
        """
        windows, owner = [], []
        for i, x in enumerate(signals):
            w, _ = self.windows(np.asarray(x, dtype=np.float32))
            windows.append(w)
            owner.extend([i] * len(w))
        if not windows:
            return np.zeros((0, len(self.classes)))
        raw = self.raw_scores(np.concatenate(windows)).astype(np.float64)
        owner_arr = np.asarray(owner)
        counts = np.bincount(owner_arr, minlength=len(signals)).astype(np.float64)
        means = np.zeros((len(signals), raw.shape[1]))
        np.add.at(means, owner_arr, raw)
        means /= counts[:, None]
        return self._calibrate(means) if calibrated else means

    def predict(self, record: Record) -> Prediction:
        raw, starts = self._raw_windows(record)
        window_probs = self._calibrate(raw)
        probs = self._calibrate(raw.mean(axis=0))
        calibration = self.card.calibration
        return Prediction(probs=probs, classes=self.classes, display=self.display, thresholds=self.thresholds,
                          positive=self.positives(probs), device=self.device, n_windows=len(starts),
                          window_probs=window_probs, window_starts_s=tuple(s / self.fs for s in starts),
                          window_s=self.input_length / self.fs, meaning=describe(calibration),
                          evidence=tuple(probability_evidence(calibration, c, float(p))
                                         for c, p in zip(self.classes, probs)),
                          cautions=tuple(cautions(record, self.card)))

    def predict_path(self, record_path: str | Path) -> Prediction:
        return self.predict(read_record(record_path))

    def explain_window(self, record: Record, class_index: int) -> tuple[np.ndarray, float, int]:
        """The model input to explain for a class, its start in record seconds, and the record's window count.

        For a long record it is the window where the class's probability is highest: the evidence the
        model found is most concentrated there.
        """
        x = self.preprocess(record)
        starts = self.window_starts(x.shape[-1])
        best = 0
        if len(starts) > 1:
            best = int(np.argmax(self._calibrate(self._window_scores(x)[0])[:, class_index]))
        return fit_length(x, self.input_length, starts[best]), starts[best] / self.fs, len(starts)
