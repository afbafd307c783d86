"""Preprocessing as data: a list of named steps that is stored with every model and replayed at inference.

A step maps a :class:`Signal` (samples, rate, lead names) to a new one. Steps are registered by name,
so ``Pipeline.from_dict(card["preprocessing"])`` rebuilds exactly what a model was trained with.
Order matters and is kept: filter at the record's real rate *before* resampling.

A memory-mapped (Holter-length) record is never materialised at its own rate: the steps before the
first normalisation (lead selection, filtering, resampling: each depends only on nearby samples) run on
spans of :data:`CHUNK_S` seconds read with :data:`MARGIN_S` more on each side, which are dropped
afterwards; span edges fall on whole resampling periods, so the pieces join exactly where one pass
would have put them. The normalisation, a whole-record statistic, then runs once on the joined output
at the model's rate (a 24-h 12-lead record at 100 Hz: 0.4 GB instead of 4 GB of float64 at 500 Hz),
whose size is checked against the memory budget first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, NamedTuple

import numpy as np

from training.data import limits
from training.data.lazy import LazySignal
from training.data.record import STANDARD_LEADS, Record
from training.errors import ConfigError, RecordError
from training.signal.filters import butter_bandpass
from training.signal.normalize import NORMALIZATIONS, normalize
from training.signal.resample import resample, resample_ratio

#: Seconds of a memory-mapped record preprocessed at a time, and read beyond each side of it (the 1 Hz
#: high-pass settles within ~1 s, the resampling filter within a few hundred samples).
CHUNK_S = 600.0
MARGIN_S = 10.0


class Signal(NamedTuple):
    x: np.ndarray  # float32 [leads, samples]
    fs: float
    leads: tuple[str, ...]


STEPS: dict[str, type["Step"]] = {}


def register_step(cls: type["Step"]) -> type["Step"]:
    STEPS[cls.name] = cls
    return cls


@dataclass(frozen=True)
class Step:
    name: ClassVar[str]

    def __call__(self, sig: Signal) -> Signal:
        raise NotImplementedError

    def to_dict(self) -> dict:
        return {"step": self.name, **dataclasses.asdict(self)}


@register_step
@dataclass(frozen=True)
class SelectLeads(Step):
    """Keep these leads in this order; a record lacking any of them cannot be used."""

    name: ClassVar[str] = "select_leads"
    leads: tuple[str, ...] = STANDARD_LEADS

    def __post_init__(self) -> None:
        object.__setattr__(self, "leads", tuple(self.leads))
        if not self.leads:
            raise ConfigError("select_leads.leads", "at least one lead is needed")

    def __call__(self, sig: Signal) -> Signal:
        missing = [lead for lead in self.leads if lead not in sig.leads]
        if missing:
            raise KeyError(f"missing lead(s) {', '.join(missing)} (record has {', '.join(sig.leads)})")
        return Signal(sig.x[[sig.leads.index(lead) for lead in self.leads]], sig.fs, self.leads)


@register_step
@dataclass(frozen=True)
class Bandpass(Step):
    """Zero-phase Butterworth band-pass designed at the signal's own rate (default 1-45 Hz, order 2)."""

    name: ClassVar[str] = "bandpass"
    low: float | None = 1.0
    high: float | None = 45.0
    order: int = 2

    def __call__(self, sig: Signal) -> Signal:
        return Signal(butter_bandpass(sig.x, sig.fs, self.low, self.high, self.order), sig.fs, sig.leads)


@register_step
@dataclass(frozen=True)
class Resample(Step):
    """Polyphase resampling to ``fs`` Hz."""

    name: ClassVar[str] = "resample"
    fs: float = 100.0

    def __call__(self, sig: Signal) -> Signal:
        return Signal(resample(sig.x, sig.fs, self.fs), float(self.fs), sig.leads)


@register_step
@dataclass(frozen=True)
class Normalize(Step):
    """Per-lead normalisation: one of minmax, zscore, rscale, logscale, l2."""

    name: ClassVar[str] = "normalize"
    method: str = "zscore"

    def __post_init__(self) -> None:
        if self.method not in NORMALIZATIONS:
            raise ConfigError("normalize.method", f"unknown normalisation {self.method!r}; known: {', '.join(NORMALIZATIONS)}")

    def __call__(self, sig: Signal) -> Signal:
        return Signal(normalize(sig.x, self.method), sig.fs, sig.leads)


@dataclass(frozen=True)
class Pipeline:
    """An ordered list of steps. ``apply(record)`` returns float32 ``[leads, samples]`` at :attr:`fs`."""

    steps: tuple[Step, ...]

    @classmethod
    def default(cls, fs: float = 100.0, leads: tuple[str, ...] = STANDARD_LEADS,
                normalization: str | None = "zscore", band: tuple[float | None, float | None] | None = (1.0, 45.0)) -> "Pipeline":
        steps: list[Step] = [SelectLeads(tuple(leads))]
        if band is not None:
            steps.append(Bandpass(*band))
        steps.append(Resample(fs))
        if normalization:
            steps.append(Normalize(normalization))
        return cls(tuple(steps))

    @property
    def leads(self) -> tuple[str, ...] | None:
        """Output leads, when the pipeline selects them."""
        chosen = [s.leads for s in self.steps if isinstance(s, SelectLeads)]
        return chosen[-1] if chosen else None

    @property
    def fs(self) -> float | None:
        """Output rate, when the pipeline resamples."""
        rates = [s.fs for s in self.steps if isinstance(s, Resample)]
        return float(rates[-1]) if rates else None

    def __call__(self, sig: Signal) -> Signal:
        for step in self.steps:
            sig = step(sig)
        return sig

    def apply(self, record: Record) -> np.ndarray:
        """Run the steps on a record; raises :class:`RecordError` naming the record when it cannot comply."""
        try:
            if isinstance(record.signal, LazySignal):
                out = self._apply_in_spans(record)
            else:
                out = self(Signal(record.signal, record.fs, record.leads))
        except KeyError as exc:
            raise RecordError(record.path, str(exc.args[0])) from None
        except ConfigError as exc:
            raise RecordError(record.path, f"cannot preprocess: {exc}") from None
        return np.ascontiguousarray(out.x, dtype=np.float32)

    def _apply_in_spans(self, record: Record) -> Signal:
        """The steps on a mapped record, local ones span by span (see the module docstring)."""
        cut = next((i for i, step in enumerate(self.steps) if isinstance(step, Normalize)), len(self.steps))
        local, rest = Pipeline(self.steps[:cut]), Pipeline(self.steps[cut:])
        ratio, align, fs_out = Fraction(1), 1, record.fs
        for step in local.steps:  # spans must start on whole periods of every resampling
            if isinstance(step, Resample) and step.fs != fs_out:
                r = resample_ratio(fs_out, step.fs)
                align = math.lcm(align, (r.denominator // math.gcd(r.denominator, ratio.numerator)) * ratio.denominator)
                ratio, fs_out = ratio * r, float(step.fs)
        n = record.n_samples
        leads = local.leads or record.leads
        n_out = math.ceil(n * ratio)
        needed = n_out * len(leads) * 4
        if needed > limits.memory_budget():
            raise RecordError(record.path, f"preprocessing it needs {needed / 2**30:.1f} GiB at "
                                           f"{fs_out:g} Hz, more than the memory budget")
        chunk = max(align, int(CHUNK_S * record.fs) // align * align)
        margin = -(-int(MARGIN_S * record.fs) // align) * align
        out = np.empty((len(leads), n_out), dtype=np.float32)
        for a in range(0, n, chunk):
            b = min(a + chunk, n)
            a0, b0 = max(0, a - margin), min(n, b + margin)
            piece = local(Signal(record.signal[:, a0:b0], record.fs, record.leads)).x
            i0, i1 = int((a - a0) * ratio), int(a * ratio)
            width = (int(b * ratio) if b < n else n_out) - i1
            out[:, i1:i1 + width] = piece[:, i0:i0 + width]
        if all(isinstance(step, Normalize) for step in rest.steps):  # per lead: one lead's scratch at a time
            for i in range(out.shape[0]):
                out[i:i + 1] = rest(Signal(out[i:i + 1], fs_out, (leads[i],))).x
            return Signal(out, fs_out, tuple(leads))
        return rest(Signal(out, fs_out, tuple(leads)))

    def to_dict(self) -> dict:
        return {"steps": [step.to_dict() for step in self.steps]}

    @classmethod
    def from_dict(cls, data: dict) -> "Pipeline":
        steps = []
        for i, spec in enumerate(data.get("steps", [])):
            spec = dict(spec)
            kind = spec.pop("step", None)
            if kind not in STEPS:
                raise ConfigError(f"preprocessing.steps[{i}]", f"unknown step {kind!r}; known: {', '.join(STEPS)}")
            try:
                steps.append(STEPS[kind](**spec))
            except TypeError as exc:
                raise ConfigError(f"preprocessing.steps[{i}]", str(exc)) from None
        return cls(tuple(steps))

    def digest(self) -> str:
        """Stable hash of the configuration (cache keys, model cards)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
