"""The segmentation delineator: a small U-Net (:class:`training.models.unet.UNet1d`) labelling every
sample of the 12 leads background / P / QRS / T, trained on LUDB's cardiologists' global marks.

Why a network beside the rules: the slope rules miss the P and T edges by 20-45 ms SD (docs/
MEASUREMENTS.md), and U-Net delineators trained on LUDB report far tighter edges. The network sees the
same 0.5-40 Hz band the rules measure, resampled to :data:`NET_FS` (250 Hz: 4 ms steps, well inside
the IEC tolerances, and half the cost), every lead scaled to unit SD (the LUDB copy here has every lead
scaled to 1 mV peak-to-peak, so absolute amplitudes must not matter). Leads a record lacks or that the
quality check excluded are zero, as they were (at random) in training.

The target of a sample is the global wave it lies in (earliest lead onset to latest lead offset, the
IEC global definition the scoring uses); samples outside the span LUDB annotates are ignored. The
model file is an ordinary engine model (safetensors + card, :mod:`training.checkpoint`); the card's
``data`` section names the records it was trained and validated on.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from training.data.record import STANDARD_LEADS
from training.measure.fiducials import P_OFF, P_ON, QRS_OFF, QRS_ON, T_OFF, T_ON

if TYPE_CHECKING:
    import torch

    from training.checkpoint import ModelCard
    from training.models import ECGModel

NET_FS = 250.0
#: Label of each sample: the order of the network's outputs.
CLASSES = ("background", "P", "QRS", "T")
BACKGROUND, P_WAVE, QRS_WAVE, T_WAVE = range(len(CLASSES))
IGNORE = -1
#: Shortest run (s) of a label kept as a wave when decoding; shorter runs are flicker, not waves.
MIN_RUN_S = {P_WAVE: 0.02, QRS_WAVE: 0.03, T_WAVE: 0.04}
ARCH = "unet1d"


@dataclass(frozen=True)
class SegTraining:
    """How a delineator network is trained (recorded in its card's ``config``)."""

    width: int = 16
    levels: int = 4
    kernel: int = 9
    crop: int = 1024
    batch_size: int = 16
    epochs: int = 100
    lr: float = 3e-3
    weight_decay: float = 1e-4
    #: Validation loss is computed every this many epochs; the best such epoch's weights are kept.
    val_every: int = 5
    seed: int = 17
    threads: int = 1


# ------------------------------------------------------------------------------------------- input
def _resampled(x: np.ndarray, fs: float) -> np.ndarray:
    if fs == NET_FS:
        return x
    if fs == 2 * NET_FS:  # the input is already band-limited to 40 Hz: every other sample loses nothing
        return x[:, ::2]
    from scipy.signal import resample_poly

    ratio = Fraction(NET_FS / fs).limit_denominator(100)
    return resample_poly(x, ratio.numerator, ratio.denominator, axis=1)


def network_input(x: np.ndarray, fs: float, leads: Sequence[str], good: np.ndarray | None = None) -> np.ndarray:
    """``[12, samples at 250 Hz]`` float32 from ``x`` (``[leads, samples]``, 0.5-40 Hz, the engine's
    measuring band): the standard leads in order, each scaled to unit SD; absent or excluded leads zero."""
    good = np.ones(len(leads), dtype=bool) if good is None else good
    y = _resampled(np.asarray(x, dtype=np.float64), fs)
    out = np.zeros((len(STANDARD_LEADS), y.shape[1]), dtype=np.float32)
    for i, name in enumerate(leads):
        if name in STANDARD_LEADS and good[i]:
            lead = y[i] - np.median(y[i])
            sd = float(lead.std())
            if sd > 1e-6:
                out[STANDARD_LEADS.index(name)] = lead / sd
    return out


def target_labels(fiducials: np.ndarray, span: tuple[int, int], fs: float, n_net: int) -> np.ndarray:
    """``[n_net]`` int64 labels at 250 Hz from global reference fiducials ``[beats, 9]`` (samples at
    ``fs``); :data:`IGNORE` outside the annotated span and around a wave whose edge was not marked."""
    scale = NET_FS / fs
    labels = np.full(n_net, IGNORE, dtype=np.int64)
    lo, hi = int(math.ceil(span[0] * scale)), min(n_net, int(span[1] * scale) + 1)
    labels[lo:hi] = BACKGROUND
    for label, (on_i, off_i) in ((P_WAVE, (P_ON, P_OFF)), (T_WAVE, (T_ON, T_OFF)), (QRS_WAVE, (QRS_ON, QRS_OFF))):
        for on, off in fiducials[:, [on_i, off_i]]:
            if np.isfinite(on) and np.isfinite(off):
                a, b = int(round(on * scale)), int(round(off * scale)) + 1
                labels[max(a, lo):min(b, hi)] = label
            elif np.isfinite(on) or np.isfinite(off):
                edge = int(round((on if np.isfinite(on) else off) * scale))
                labels[max(0, edge - 10):edge + 10] = IGNORE
    return labels


# ------------------------------------------------------------------------------------------ output
def runs(labels: np.ndarray, label: int, fs_out: float, min_s: float) -> np.ndarray:
    """``[runs, 2]`` (first, last) sample at ``fs_out`` of each run of ``label`` in 250-Hz ``labels``
    at least ``min_s`` long."""
    hit = np.concatenate([[False], labels == label, [False]])
    edges = np.flatnonzero(np.diff(hit.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2] - 1
    keep = (ends - starts + 1) >= max(1, int(round(min_s * NET_FS)))
    scale = fs_out / NET_FS
    return np.stack([starts[keep] * scale, ends[keep] * scale], axis=1) if keep.any() else np.zeros((0, 2))


class Segmenter:
    """A loaded delineator network: :meth:`labels` of a record's measuring band, at 250 Hz."""

    def __init__(self, model: ECGModel, card: ModelCard | None = None):
        self.model = model.eval()
        self.card = card

    @classmethod
    def load(cls, path: str | Path) -> "Segmenter":
        from training.checkpoint import load_model

        model, card = load_model(path)
        if tuple(card.classes) != CLASSES or card.architecture != ARCH:
            from training.errors import ModelFileError
            raise ModelFileError(Path(path), f"not a delineator network (architecture {card.architecture!r}, "
                                             f"classes {list(card.classes)}; expected {ARCH!r} with {list(CLASSES)})")
        return cls(model, card)

    def probabilities(self, net_x: np.ndarray) -> np.ndarray:
        """``[4, samples]`` class probabilities of a :func:`network_input` array."""
        import torch

        with torch.inference_mode():
            logits = self.model(torch.from_numpy(np.ascontiguousarray(net_x))[None])[0]
            return logits.softmax(dim=0).numpy()

    def labels(self, x: np.ndarray, fs: float, leads: Sequence[str], good: np.ndarray) -> np.ndarray:
        """The label of every 250-Hz sample of ``x`` (``[leads, samples]``, 0.5-40 Hz)."""
        return self.probabilities(network_input(x, fs, leads, good)).argmax(axis=0).astype(np.int8)


# ---------------------------------------------------------------------------------------- training
@dataclass
class SegExample:
    """One training record: network input ``x`` [12, n] and labels ``y`` [n] at 250 Hz."""

    name: str
    x: np.ndarray
    y: np.ndarray


def _augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per-lead gain, white and baseline noise, and a few leads dropped (zeroed): what real records vary in."""
    x = x * rng.uniform(0.7, 1.4, size=(x.shape[0], 1)).astype(np.float32)
    t = np.arange(x.shape[1]) / NET_FS
    wander = rng.uniform(0, 0.3, size=(x.shape[0], 1)) * np.sin(2 * np.pi * rng.uniform(0.05, 0.5) * t
                                                                   + rng.uniform(0, 2 * np.pi))
    x = x + wander.astype(np.float32) + rng.normal(0, rng.uniform(0, 0.1), size=x.shape).astype(np.float32)
    if rng.random() < 0.3:
        x[rng.choice(x.shape[0], size=int(rng.integers(1, 4)), replace=False)] = 0.0
    return x


def _batches(examples: Sequence[SegExample], config: SegTraining, rng: np.random.Generator):
    order = rng.permutation(len(examples))
    for start in range(0, len(order), config.batch_size):
        xs, ys = [], []
        for i in order[start:start + config.batch_size]:
            ex = examples[i]
            n = ex.x.shape[1]
            a = int(rng.integers(0, max(1, n - config.crop + 1)))
            xs.append(_augment(ex.x[:, a:a + config.crop], rng))
            ys.append(ex.y[a:a + config.crop])
        yield np.stack(xs), np.stack(ys)


def _loss(model: ECGModel, examples: Sequence[SegExample]) -> float:
    import torch
    from torch.nn import functional as F

    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for ex in examples:
            logits = model(torch.from_numpy(ex.x)[None])
            y = torch.from_numpy(ex.y)[None]
            n = int((y != IGNORE).sum())
            if n:
                total += float(F.cross_entropy(logits, y, ignore_index=IGNORE, reduction="sum"))
                count += n
    return total / max(count, 1)


def train(train_set: Sequence[SegExample], val_set: Sequence[SegExample], config: SegTraining = SegTraining(),
          epochs: int | None = None, progress: Callable[[str], None] = lambda s: None
          ) -> tuple[ECGModel, list[dict], int]:
    """Train a delineator on ``train_set``; with ``val_set``, keep the weights of the epoch with the
    lowest validation loss. ``epochs`` overrides the config's (the final network is trained for the
    folds' median best epoch, with no validation set). Returns (model, history, best epoch)."""
    import torch
    from torch.nn import functional as F

    from training.fit.device import seed_everything
    from training.fit.trainer import clone_state
    from training.models import build_model

    seed_everything(config.seed, deterministic=True, threads=config.threads)
    rng = np.random.default_rng(config.seed)
    model = build_model(ARCH, len(STANDARD_LEADS), len(CLASSES), width=config.width, levels=config.levels,
                        kernel=config.kernel)
    epochs = config.epochs if epochs is None else epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = epochs * math.ceil(len(train_set) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=max(steps, 1))
    history: list[dict] = []
    best_state, best_loss, best_epoch = clone_state(model), math.inf, epochs
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for xb, yb in _batches(train_set, config, rng):
            logits = model(torch.from_numpy(xb))
            loss = F.cross_entropy(logits, torch.from_numpy(yb), ignore_index=IGNORE)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total, count = total + float(loss.detach()) * len(xb), count + len(xb)
        row: dict = {"epoch": epoch, "train_loss": round(total / max(count, 1), 5)}
        if val_set and (epoch % config.val_every == 0 or epoch == epochs):
            row["val_loss"] = round(_loss(model, val_set), 5)
            if row["val_loss"] < best_loss:
                best_loss, best_epoch, best_state = row["val_loss"], epoch, clone_state(model)
        history.append(row)
        progress(f"epoch {epoch}/{epochs} " + " ".join(f"{k} {v}" for k, v in row.items() if k != "epoch")
                 + f" ({time.perf_counter() - started:.0f} s)")
    if val_set:
        model.load_state_dict(best_state)
    return model.eval(), history, best_epoch


def model_card(config: SegTraining, train_names: Sequence[str], val_names: Sequence[str], history: list[dict],
               best_epoch: int, extra: dict | None = None) -> ModelCard:
    """The card of a delineator network (:class:`training.checkpoint.ModelCard`)."""
    import torch

    from training.checkpoint import ModelCard
    from training.fit.device import run_environment

    return ModelCard(
        architecture=ARCH, model_options={"width": config.width, "levels": config.levels, "kernel": config.kernel},
        n_leads=len(STANDARD_LEADS),
        label_set={"name": "ludb_delineation", "classes": list(CLASSES),
                   "display": ["background", "P wave", "QRS complex", "T wave"], "aliases": {}},
        fs=NET_FS, leads=list(STANDARD_LEADS), input_length=config.crop,
        preprocessing={"steps": []}, thresholds=[0.5] * len(CLASSES), single_label=True,
        metrics={"best_epoch": best_epoch, **(extra or {})},
        data={"dataset": "LUDB (../shared/data/ludb)", "train_records": list(train_names),
              "val_records": list(val_names),
              "input": "0.5-40 Hz zero-phase Butterworth band (training.measure.engine), 250 Hz, each lead / its SD",
              "target": "per sample: background / P / QRS / T of the global reference (earliest lead onset to "
                        "latest lead offset); outside LUDB's annotated span ignored"},
        seed=config.seed, config={"segmentation": asdict(config)}, history=history,
        environment=run_environment(torch.device("cpu"), True))


# ------------------------------------------------------------------------------------ beat fiducials
def beat_fiducials(labels: np.ndarray, r: np.ndarray, fs: float, n: int, xs: np.ndarray, good: np.ndarray
                   ) -> np.ndarray:
    """Global fiducials ``[beats, 9]`` (samples at ``fs``, NaN where absent) of the beats at R peaks ``r``
    from the network's 250-Hz ``labels``: the QRS run over the R peak (within 80 ms), the last P run
    ending before that QRS and after the previous beat, the first T run after it and before the next
    beat. Runs cut by the record's ends are not waves. P and T peaks: the sample of the run where some
    good lead of ``xs`` (0.5-15 Hz) is furthest from its value at the run's onset."""
    from training.measure.fiducials import FIDUCIALS, P_PEAK, R_PEAK, T_PEAK

    out = np.full((r.size, len(FIDUCIALS)), np.nan)
    out[:, R_PEAK] = r
    found = {}
    for label in (P_WAVE, QRS_WAVE, T_WAVE):
        spans = runs(labels, label, fs, MIN_RUN_S[label])
        found[label] = spans[(spans[:, 0] > 0) & (spans[:, 1] < n - 1 - fs / NET_FS)] if spans.size else spans
    rr = np.diff(r)
    typical = float(np.median(rr)) if rr.size else fs
    leads = xs[good] if good.any() else xs
    for k, rk in enumerate(r):
        qrs = found[QRS_WAVE]
        if qrs.size:
            dist = np.where((qrs[:, 0] <= rk) & (qrs[:, 1] >= rk), 0.0,
                            np.minimum(np.abs(qrs[:, 0] - rk), np.abs(qrs[:, 1] - rk)))
            j = int(np.argmin(dist))
            if dist[j] <= 0.08 * fs:
                out[k, QRS_ON], out[k, QRS_OFF] = qrs[j]
        on = out[k, QRS_ON] if np.isfinite(out[k, QRS_ON]) else rk - 0.04 * fs
        off = out[k, QRS_OFF] if np.isfinite(out[k, QRS_OFF]) else rk + 0.04 * fs
        before = r[k - 1] if k else rk - min(typical, 0.6 * fs)
        after = r[k + 1] if k + 1 < r.size else rk + min(typical, 0.9 * fs)
        p = found[P_WAVE]
        p = p[(p[:, 1] <= on + 0.01 * fs) & (p[:, 0] > max(before, rk - 0.6 * fs))] if p.size else p
        if p.size:
            out[k, P_ON], out[k, P_OFF] = p[-1]
        t = found[T_WAVE]
        t = t[(t[:, 0] >= off - 0.01 * fs) & (t[:, 1] < after)] if t.size else t
        if t.size:
            out[k, T_ON], out[k, T_OFF] = t[0]
        for peak, (a, b) in ((P_PEAK, (P_ON, P_OFF)), (T_PEAK, (T_ON, T_OFF))):
            if np.isfinite(out[k, a]):
                lo, hi = int(out[k, a]), int(out[k, b]) + 1
                seg = np.abs(leads[:, lo:hi] - leads[:, lo:lo + 1])
                out[k, peak] = lo + int(np.argmax(seg.max(axis=0))) if seg.size else np.nan
    return out


def default_network_path() -> Path:
    """The delineator network shipped in ``resources/models/delineation`` (source checkout, frozen bundle
    or installed data files, as the app finds its resources)."""
    import sys

    name = Path("models") / "delineation" / "ludb_unet1d_delineator"
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources" / name
    checkout = Path(__file__).resolve().parents[2] / "resources"
    installed = Path(sys.prefix) / "share" / "ecgstudio" / "resources"
    return (checkout if checkout.is_dir() or not installed.is_dir() else installed) / name
