"""A training run as data: nested dataclasses that round-trip through TOML and JSON.

The full :class:`RunConfig` is stored in every model card, so a model says exactly how it was made.
Reading a file checks every key's type and range and raises :class:`ConfigError` naming the key
(``optim.lr``, ``augment[1].name``...), so a typo is reported before any data is read. TOML has no
null: optional values are simply left out, and "no band-pass" is an empty list.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import tomli_w

from training.augment import build_augmentations
from training.data.labels import label_set_names
from training.data.record import STANDARD_LEADS
from training.errors import ConfigError
from training.losses import loss_names
from training.metrics import HIGHER_IS_BETTER
from training.signal.normalize import NORMALIZATIONS

DATA_KINDS = ("auto", "ptbxl", "cinc")
OPTIMIZERS = ("adam", "adamw")
SCHEDULES = ("none", "cosine_restarts", "onecycle", "plateau")
FINETUNE_MODES = ("head", "full")
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


@dataclass
class DataConfig:
    """Which records, which labels, and how they are preprocessed into fixed windows.

    ``fs`` is the model's sampling rate (records are resampled to it); ``record_fs`` picks PTB-XL's 100 or
    500 Hz files (default: 100 when ``fs`` <= 100); ``seconds`` is the input window (random crops in
    training, the centre crop in evaluation); ``band`` is the band-pass in Hz, ``[]`` for none; ``split_seed``
    seeds the patient-wise split of folders without official folds. Relative paths are relative to the
    folder the command runs in.
    """

    path: str = ""
    kind: str = "auto"
    label_set: str = "ptbxl-superclass"
    fs: float = 100.0
    record_fs: int | None = None
    leads: list[str] = field(default_factory=lambda: list(STANDARD_LEADS))
    seconds: float = 10.0
    normalization: str = "zscore"
    band: list[float] = field(default_factory=lambda: [1.0, 45.0])
    cache: bool = True
    split_seed: int = 0

    def validate(self) -> None:
        if not self.path:
            raise ConfigError("data.path", "a dataset folder is required")
        _choice("data.kind", self.kind, DATA_KINDS)
        _choice("data.label_set", self.label_set, label_set_names())
        _choice("data.normalization", self.normalization, ("none", *NORMALIZATIONS))
        _positive("data.fs", self.fs)
        _positive("data.seconds", self.seconds)
        if self.record_fs is not None and self.record_fs not in (100, 500):
            raise ConfigError("data.record_fs", f"PTB-XL comes at 100 or 500 Hz, not {self.record_fs}")
        if not self.leads:
            raise ConfigError("data.leads", "at least one lead is needed")
        if self.band and (len(self.band) != 2 or not 0 <= self.band[0] < self.band[1]):
            raise ConfigError("data.band", f"need [low, high] with 0 <= low < high, or [] for none; got {self.band}")

    @property
    def length(self) -> int:
        """Input window in samples."""
        return int(round(self.seconds * self.fs))


@dataclass
class ModelConfig:
    """An architecture of the model registry and its options (``width``, ``dropout``...)."""

    name: str = "resnet1d18"
    options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        if not self.name:
            raise ConfigError("model.name", "an architecture name is required")


@dataclass
class LossConfig:
    name: str = "focal"
    options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        _choice("loss.name", self.name, loss_names())


@dataclass
class OptimConfig:
    name: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 1e-2
    grad_clip: float | None = None

    def validate(self) -> None:
        _choice("optim.name", self.name, OPTIMIZERS)
        _positive("optim.lr", self.lr)
        if self.weight_decay < 0:
            raise ConfigError("optim.weight_decay", f"must be >= 0, got {self.weight_decay}")
        if self.grad_clip is not None:
            _positive("optim.grad_clip", self.grad_clip)


@dataclass
class ScheduleConfig:
    """Learning-rate schedule: cosine warm restarts (paper 001), one-cycle, or reduce-on-plateau (paper 003)."""

    name: str = "none"
    restart_epochs: int = 10
    restart_mult: int = 1
    min_lr: float = 0.0
    warmup_fraction: float = 0.3
    plateau_factor: float = 0.1
    plateau_patience: int = 1

    def validate(self) -> None:
        _choice("schedule.name", self.name, SCHEDULES)
        if self.restart_epochs < 1 or self.restart_mult < 1:
            raise ConfigError("schedule.restart_epochs", "restart_epochs and restart_mult must be >= 1")
        if not 0 < self.warmup_fraction < 1:
            raise ConfigError("schedule.warmup_fraction", f"must be in (0, 1), got {self.warmup_fraction}")
        if not 0 < self.plateau_factor < 1:
            raise ConfigError("schedule.plateau_factor", f"must be in (0, 1), got {self.plateau_factor}")


@dataclass
class TrainConfig:
    """Epochs and batches; early stopping on a validation metric; class-balanced oversampling.

    ``monitor`` is ``loss`` (minimised) or a summary metric of :mod:`training.metrics` (maximised);
    ``patience`` epochs without improvement stop the run (0: never); ``workers`` are DataLoader processes
    (0 is fastest with the preprocessed cache on small data).
    """

    epochs: int = 30
    batch_size: int = 32
    monitor: str = "auroc_macro"
    patience: int = 10
    oversample: bool = False
    workers: int = 0

    def validate(self) -> None:
        for key in ("epochs", "batch_size"):
            if getattr(self, key) < 1:
                raise ConfigError(f"train.{key}", f"must be >= 1, got {getattr(self, key)}")
        _choice("train.monitor", self.monitor, ("loss", *sorted(HIGHER_IS_BETTER)))
        for key in ("patience", "workers"):
            if getattr(self, key) < 0:
                raise ConfigError(f"train.{key}", f"must be >= 0, got {getattr(self, key)}")


@dataclass
class FinetuneConfig:
    """Start from a saved model (``parent``: its file stem) instead of random weights (papers 000, 002).

    ``head`` trains only a new classifier on a frozen backbone (weights and BatchNorm statistics stay
    bit-identical); ``full`` trains everything, the backbone at ``backbone_lr_scale`` times ``optim.lr``
    so that its pretrained features move slowly. Data and model sections must match the parent's input
    contract (checked in :mod:`training.fit.finetune`).
    """

    parent: str = ""
    mode: str = "head"
    backbone_lr_scale: float = 0.1

    def validate(self) -> None:
        if not self.parent:
            raise ConfigError("finetune.parent", "the model to start from is required")
        _choice("finetune.mode", self.mode, FINETUNE_MODES)
        _positive("finetune.backbone_lr_scale", self.backbone_lr_scale)


@dataclass
class RunConfig:
    """Everything a training run needs; ``output`` is the run folder (checkpoints, model file)."""

    name: str = "model"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    augment: list[dict[str, Any]] = field(default_factory=list)
    finetune: FinetuneConfig | None = None
    seed: int = 0
    device: str = "auto"
    deterministic: bool = True
    #: PyTorch CPU threads, pinned by ``seed_everything`` and recorded in the card (None: PyTorch's default)
    threads: int | None = None
    #: per-class calibration fitted on the validation split: ``platt``, ``temperature`` or ``none``
    calibration: str = "platt"
    #: score the test split after training; off for HPO trials (only the chosen model is tested)
    score_test: bool = True
    output: str = "runs"

    def validate(self) -> "RunConfig":
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            raise ConfigError("name", f"use letters, digits, '_', '-' or '.', got {self.name!r}")
        for part in (self.data, self.model, self.loss, self.optim, self.schedule, self.train):
            part.validate()
        if self.finetune is not None:
            self.finetune.validate()
        build_augmentations(self.augment)
        _choice("calibration", self.calibration, ("none", "platt", "temperature"))
        if self.threads is not None and self.threads < 1:
            raise ConfigError("threads", f"must be >= 1, got {self.threads}")
        if not _DEVICE.match(self.device):
            raise ConfigError("device", f"use 'auto', 'cpu', 'mps' or 'cuda[:N]', got {self.device!r}")
        return self

    def to_dict(self) -> dict:
        """Plain data without ``None`` values (TOML cannot hold them; absent means default)."""
        return _drop_none(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> "RunConfig":
        return _build(cls, data, "").validate()


def load_config(path: str | Path) -> RunConfig:
    """Read a ``.toml`` or ``.json`` run configuration; every problem is a :class:`ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(str(path), f"not valid {path.suffix.lstrip('.').upper() or 'TOML'}: {exc}") from None
    return RunConfig.from_dict(data)


def dumps_config(config: RunConfig, fmt: str = "toml") -> str:
    if fmt == "json":
        return json.dumps(config.to_dict(), indent=2)
    return tomli_w.dumps(config.to_dict())


def save_config(config: RunConfig, path: str | Path) -> None:
    path = Path(path)
    path.write_text(dumps_config(config, "json" if path.suffix.lower() == ".json" else "toml"), encoding="utf-8")


def _choice(key: str, value: str, allowed) -> None:
    if value not in allowed:
        raise ConfigError(key, f"{value!r} is not one of: {', '.join(allowed)}")


def _positive(key: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(key, f"must be > 0, got {value}")


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _build(cls: type, data: Any, prefix: str):
    """A dataclass from a dict, checking unknown keys and each field's type."""
    if not isinstance(data, dict):
        raise ConfigError(prefix.rstrip(".") or "config", f"expected a table, got {type(data).__name__}")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}", f"unknown key; known: {', '.join(names)}")
    return cls(**{k: _convert(v, hints[k], f"{prefix}{k}") for k, v in data.items()})


def _convert(value: Any, hint: Any, key: str) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, f"{key}.")
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _convert(value, next(a for a in args if a is not type(None)), key)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(key, f"expected a list, got {type(value).__name__}")
        return [_convert(v, args[0], f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a table, got {type(value).__name__}")
        return dict(value)
    if hint is Any:
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(key, f"expected {hint.__name__}, got {type(value).__name__} {value!r}")
    return value
