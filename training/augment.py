"""Training-time augmentations as data: a list of ``{"name": ..., "p": ..., "strength": ...}`` steps.

Each step maps ``x [leads, samples] float32`` and a NumPy generator to a new array, and fires with
probability ``p``. Amplitudes are relative to the record's own standard deviation (``strength`` x sigma),
so the same configuration suits any normalisation. Frequencies are in cycles per window, which keeps a
step independent of the sampling rate. The random crop is done by the dataset, before these steps.

Sources: polarity inversion ("flip" in paper 000), random drop, lead drop, square pulse and sine sum
(paper 000, after its ref. 17); noise and baseline wander (paper 003, eqs. 3-4; eq. 4 prints ``y_i / n``
where the sample index ``i / n`` is meant); time reversal for completeness. Polarity inversion and time
reversal change what an ECG shows (T-wave inversion, Q waves, P after QRS): they are not label-preserving.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from training.errors import ConfigError
from training.registry import registrar

AUGMENTATIONS: dict[str, type["Augmentation"]] = {}


def register_augmentation(cls: type["Augmentation"]) -> type["Augmentation"]:
    """Class decorator: files an augmentation under its ``name`` attribute."""
    return registrar(AUGMENTATIONS, "augmentation")(cls.name)(cls)


def augmentation_names() -> list[str]:
    return sorted(AUGMENTATIONS)


@dataclass(frozen=True)
class Augmentation:
    """One step: ``apply`` runs with probability ``p``; ``strength`` scales its amplitude or amount."""

    name: ClassVar[str]
    p: float = 0.5
    strength: float = 0.1

    def __post_init__(self) -> None:
        if not 0 <= self.p <= 1:
            raise ConfigError(f"augment.{self.name}.p", f"probability must be in [0, 1], got {self.p}")
        if self.strength < 0:
            raise ConfigError(f"augment.{self.name}.strength", f"must be >= 0, got {self.strength}")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.apply(x, rng) if rng.random() < self.p else x

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def to_dict(self) -> dict:
        return {"name": self.name, **dataclasses.asdict(self)}


def _sigma(x: np.ndarray) -> float:
    """The record's overall standard deviation (1 for a flat record, so amplitudes stay defined)."""
    return float(x.std()) or 1.0


def _window_time(x: np.ndarray) -> np.ndarray:
    """Sample positions as fractions of the window, ``i / n`` (float32)."""
    return np.arange(x.shape[-1], dtype=np.float32) / np.float32(x.shape[-1])


@register_augmentation
@dataclass(frozen=True)
class PolarityInversion(Augmentation):
    """Multiply every lead by -1 (amplitude sign flip; ``strength`` is unused).

    Not label-preserving for ECG diagnoses: it turns upright T waves into inverted ones (an ST/T
    change) and R waves into Q waves (an infarction sign). Off in the shipped configs unless an
    ablation shows it does not hurt (docs/RESULTS.md).
    """

    name: ClassVar[str] = "polarity_inversion"

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return -x


@register_augmentation
@dataclass(frozen=True)
class TimeReversal(Augmentation):
    """Play the window backwards (``x[..., ::-1]``; ``strength`` is unused).

    Not label-preserving either: P waves come after the QRS and the T wave before it.
    """

    name: ClassVar[str] = "time_reversal"

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.ascontiguousarray(x[..., ::-1])


@register_augmentation
@dataclass(frozen=True)
class RandomDrop(Augmentation):
    """Zero a fraction ``strength`` of the time samples, in all leads (lost samples)."""

    name: ClassVar[str] = "random_drop"

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        keep = rng.random(x.shape[-1]) >= self.strength
        return x * keep[None, :].astype(x.dtype)


@register_augmentation
@dataclass(frozen=True)
class LeadDrop(Augmentation):
    """Zero each lead with probability ``strength`` (a detached electrode); one lead always survives."""

    name: ClassVar[str] = "lead_drop"

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        drop = rng.random(x.shape[0]) < self.strength
        if drop.all():
            drop[rng.integers(x.shape[0])] = False
        out = x.copy()
        out[drop] = 0.0
        return out


@register_augmentation
@dataclass(frozen=True)
class SquarePulse(Augmentation):
    """Add a square wave of ``cycles`` per window (random range) and amplitude up to ``strength`` x sigma."""

    name: ClassVar[str] = "square_pulse"
    cycles: tuple[float, float] = (1.0, 10.0)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = _window_time(x)
        freq = rng.uniform(*self.cycles)
        wave = np.sign(np.sin(2 * np.pi * (freq * t + rng.random())))
        return (x + rng.uniform(-1, 1) * self.strength * _sigma(x) * wave).astype(np.float32)


@register_augmentation
@dataclass(frozen=True)
class SineSum(Augmentation):
    """Add ``n_waves`` sines of random frequency (cycles per window), phase and amplitude <= ``strength`` x sigma."""

    name: ClassVar[str] = "sine_sum"
    n_waves: int = 3
    cycles: tuple[float, float] = (1.0, 50.0)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = _window_time(x)
        freq = rng.uniform(*self.cycles, size=(self.n_waves, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(self.n_waves, 1))
        amp = rng.uniform(-1, 1, size=(self.n_waves, 1)) * self.strength * _sigma(x)
        return (x + np.sum(amp * np.sin(2 * np.pi * freq * t + phase), axis=0)).astype(np.float32)


@register_augmentation
@dataclass(frozen=True)
class GaussianNoise(Augmentation):
    """Add white Gaussian noise of standard deviation ``strength`` x sigma (paper 003 draws it uniformly)."""

    name: ClassVar[str] = "gaussian_noise"

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        noise = rng.standard_normal(x.shape, dtype=np.float32)
        return x + np.float32(self.strength * _sigma(x)) * noise


@register_augmentation
@dataclass(frozen=True)
class BaselineWander(Augmentation):
    """Add ``a cos(2 pi cycles i / n + phi)``, phi ~ U(0, 2 pi), a ~ U(-1, 1) x ``strength`` x sigma (paper 003)."""

    name: ClassVar[str] = "baseline_wander"
    cycles: float = 1.0

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = _window_time(x)
        wave = np.cos(2 * np.pi * self.cycles * t + rng.uniform(0, 2 * np.pi))
        return (x + rng.uniform(-1, 1) * self.strength * _sigma(x) * wave).astype(np.float32)


#: names that no longer exist, with what to write instead (a silent alias would hide what the step does)
RENAMED = {"flip": "'flip' is now 'polarity_inversion' (it multiplies every lead by -1; it is not time reversal, "
                   "which is 'time_reversal'); neither preserves ST/T or Q-wave labels"}


@dataclass(frozen=True)
class Compose:
    """Steps applied in order; the callable a dataset takes as ``transform``."""

    steps: tuple[Augmentation, ...]

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for step in self.steps:
            x = step(x, rng)
        return np.asarray(x, dtype=np.float32)

    def to_list(self) -> list[dict]:
        return [step.to_dict() for step in self.steps]


def build_augmentations(specs: list[dict]) -> Compose:
    """``[{"name": "gaussian_noise", "p": 0.5}, ...]`` -> :class:`Compose`; bad names or options raise :class:`ConfigError`."""
    steps = []
    for i, spec in enumerate(specs):
        spec = dict(spec)
        name = spec.pop("name", None)
        if name in RENAMED:
            raise ConfigError(f"augment[{i}].name", RENAMED[name])
        if name not in AUGMENTATIONS:
            known = ", ".join(augmentation_names())
            raise ConfigError(f"augment[{i}].name", f"unknown augmentation {name!r}; known: {known}")
        for key, value in spec.items():
            if isinstance(value, list):
                spec[key] = tuple(value)
        try:
            steps.append(AUGMENTATIONS[name](**spec))
        except TypeError as exc:
            raise ConfigError(f"augment[{i}]", str(exc)) from None
    return Compose(tuple(steps))

