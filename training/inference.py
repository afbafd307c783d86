"""Applying a saved model to one record, exactly as its card says: the app's and the CLI's inference.

The card's pipeline (lead selection, band-pass at the record's own rate, resampling, normalisation) is
replayed on the whole record, then the model sees fixed windows of ``card.input_length`` samples:

* a record of exactly one window, or shorter but at least :data:`MIN_FRACTION` of one, gets a single
  window, zero-padded at the end - the same :func:`fit_length` evaluation uses, so on records of the
  training length the app reproduces the card's metrics;
* a longer record is covered by windows overlapping by half (the last one ends at the record's end) and
  the record's probability is the **mean of the window probabilities**. The mean is the aggregation of
  the PTB-XL benchmark (Strodthoff et al., 2021); the maximum would call more positives the longer the
  record, because each extra window is another chance of a false alarm, while thresholds were chosen on
  records of one window.

A record that cannot meet the model's contract (missing leads, too short, sampled below the model's
rate) raises :class:`ContractError` with a sentence a clinician can act on; nothing is guessed. A record
whose samples in the model's leads cannot be an ECG (flat, saturated, non-finite, non-physiological
amplitude or slew: :mod:`training.signal.quality`) raises :class:`SignalQualityError` before the model
runs, so a broken file never becomes a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from training.checkpoint import ModelCard, load_model
from training.data.readers import read_record
from training.data.record import Record
from training.errors import RecordError
from training.fit.device import select_device
from training.signal.quality import check_signal
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

    @property
    def labels(self) -> list[str]:
        """Display names of the positive classes."""
        return [d for d, flag in zip(self.display, self.positive) if flag]


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

    def windows(self, x: np.ndarray) -> tuple[np.ndarray, list[int]]:
        """``([windows, leads, input_length], starts)`` of a preprocessed record."""
        n = self.input_length
        starts = window_starts(x.shape[-1], n, max(1, int(n * STRIDE_FRACTION)))
        return np.stack([fit_length(x, n, s) for s in starts]), starts

    # ------------------------------------------------------------------ inference
    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        """Probabilities ``[N, C]`` of inputs already preprocessed and windowed, ``[N, leads, input_length]``."""
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

    def predict(self, record: Record) -> Prediction:
        x = self.preprocess(record)
        windows, starts = self.windows(x)
        window_probs = self.predict_batch(windows).astype(np.float64)
        probs = window_probs.mean(axis=0)
        return Prediction(probs=probs, classes=self.classes, display=self.display, thresholds=self.thresholds,
                          positive=self.positives(probs), device=self.device, n_windows=len(starts),
                          window_probs=window_probs, window_starts_s=tuple(s / self.fs for s in starts),
                          window_s=self.input_length / self.fs)

    def predict_path(self, record_path: str | Path) -> Prediction:
        return self.predict(read_record(record_path))

    def explain_window(self, record: Record, class_index: int) -> tuple[np.ndarray, float, int]:
        """The model input to explain for a class, its start in record seconds, and the record's window count.

        For a long record it is the window where the class's probability is highest: the evidence the
        model found is most concentrated there.
        """
        windows, starts = self.windows(self.preprocess(record))
        best = 0
        if len(starts) > 1:
            best = int(np.argmax(self.predict_batch(windows)[:, class_index]))
        return windows[best], starts[best] / self.fs, len(starts)
