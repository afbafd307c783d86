"""The one schema every model card is validated against, on load and at the model library's scan.

A card is untrusted JSON: a shared model file may have been edited by hand, truncated or crafted.
:func:`validate_card` checks all of it before any layer is built and reports **every** problem in one
message (``field: problem; field: problem``): types, ranges, lengths that must agree (display names and
thresholds per class, leads per ``n_leads``), the preprocessing steps, and where the weights file may
be (a plain file name beside the card, never a path), and the architecture's name and options against
the registry's declared table (:mod:`training.architectures`: known names and options, types, bounded
values). :func:`architecture_problems` adds the size: at most :data:`MAX_PARAMETERS` parameters, counted
on PyTorch's ``meta`` device where nothing is allocated.

Optional sections other parts of the engine write are typed here too, so they are checked the same way:
``calibration`` (per-class method, parameters and what it was fitted on), ``environment`` (threads,
library versions, hardware) and confidence intervals inside ``metrics``. They accept extra keys, so a
later version can add to them without making older cards invalid; extend the models below, in this
module only.

:func:`validate_card` needs no torch (the app reads cards at start-up); :func:`architecture_problems`
imports the model registry, so it runs when a model is verified for loading or adding.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError,
                      field_validator)

CARD_FORMAT = "ecgstudio-model/1"
#: A card holds metrics, history and config: ~13 kB for the bundled model; 8 MiB leaves room for long histories.
MAX_CARD_BYTES = 8 << 20
#: JSON nesting of a card (its deepest real section, per-class metrics with intervals, is ~6 levels).
MAX_CARD_DEPTH = 32
#: Weights of one model: the largest architecture in the registry at sane options is ~200 MB.
MAX_WEIGHTS_BYTES = 2 << 30
#: Parameters one model may have (the bundled ResNet has 1 M; 100 M is a large transformer).
MAX_PARAMETERS = 100_000_000
#: Bounds of the integer architecture options (widths, depths, heads, hidden sizes).
MAX_OPTION_INT = 8192
MAX_CLASSES = 1000
MAX_LEADS = 256
MAX_INPUT_SAMPLES = 1_000_000

Name = Field(min_length=1, max_length=200)
Scalar = StrictBool | StrictInt | StrictFloat | StrictStr


class _Section(BaseModel):
    """An optional card section: typed where it is known, open to keys a newer version adds."""

    model_config = ConfigDict(extra="allow")


class LabelSetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Name
    classes: list[StrictStr] = Field(min_length=1, max_length=MAX_CLASSES)
    display: list[StrictStr] = Field(min_length=1, max_length=MAX_CLASSES)
    aliases: dict[StrictStr, StrictStr] = Field(default_factory=dict)

    @field_validator("classes")
    @classmethod
    def _unique(cls, classes: list[str]) -> list[str]:
        if len(set(classes)) != len(classes) or any(not c.strip() for c in classes):
            raise ValueError("class names must be distinct and not blank")
        return classes


class PreprocessingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[dict[StrictStr, Any]] = Field(max_length=32)


class ClassCalibration(_Section):
    """How one class's probability was calibrated (e.g. ``{"method": "platt", "parameters": {"a":..,"b":..}}``)."""

    method: StrictStr = Name
    parameters: dict[StrictStr, StrictFloat | list[StrictFloat]] = Field(default_factory=dict)
    fitted_on: StrictStr | None = None


class PlattParameters(_Section):
    """One class's map ``σ(slope · logit(s) + intercept)`` (:mod:`training.calibration`)."""

    slope: StrictFloat = Field(gt=0, le=1e3)
    intercept: StrictFloat = Field(ge=-50, le=50)


class Calibration(_Section):
    """Per-class calibration and the data it was fitted on (validation data only).

    :mod:`training.calibrate` writes ``method`` (``platt`` or ``temperature``), ``parameters`` per class,
    ``fitted_on``, ``bins`` (validation evidence per probability tenth) and ``assessment`` (ECE and
    Brier per source, each an interval).
    """

    method: Literal["platt", "temperature"] | None = None
    fitted_on: StrictStr | dict[StrictStr, Any] | None = None
    classes: dict[StrictStr, ClassCalibration] = Field(default_factory=dict)
    parameters: dict[StrictStr, PlattParameters] = Field(default_factory=dict, max_length=MAX_CLASSES)
    bins: dict[StrictStr, dict[StrictStr, list[StrictInt]]] = Field(default_factory=dict, max_length=MAX_CLASSES)
    assessment: dict[StrictStr, dict[StrictStr, Any]] = Field(default_factory=dict)


class Environment(_Section):
    """Where the model was trained: enough to reproduce or explain a difference."""

    torch_threads: StrictInt | None = Field(default=None, ge=1, le=4096)
    deterministic: StrictBool | None = None
    device: StrictStr | None = None
    libraries: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    hardware: StrictStr | dict[StrictStr, Scalar | None] | None = None


class Interval(_Section):
    """A metric with its confidence interval: ``{"value": .., "low": .., "high": .., "level": 0.95}``."""

    value: StrictFloat | None = None
    low: StrictFloat | None = None
    high: StrictFloat | None = None
    level: StrictFloat | None = Field(default=None, gt=0, lt=1)
    method: StrictStr | None = None


class CardSchema(BaseModel):
    """The model card's fields (``training.checkpoint.ModelCard``); unknown top-level keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["ecgstudio-model/1"]
    architecture: StrictStr = Name
    model_options: dict[StrictStr, Scalar] = Field(default_factory=dict, max_length=64)
    n_leads: StrictInt = Field(ge=1, le=MAX_LEADS)
    label_set: LabelSetSpec
    fs: StrictFloat = Field(gt=0, le=100_000)
    leads: list[StrictStr] = Field(min_length=1, max_length=MAX_LEADS)
    input_length: StrictInt = Field(ge=16, le=MAX_INPUT_SAMPLES)
    preprocessing: PreprocessingSpec
    thresholds: list[StrictFloat] = Field(min_length=1, max_length=MAX_CLASSES)
    single_label: StrictBool = False
    metrics: dict[StrictStr, Any] = Field(default_factory=dict)
    data: dict[StrictStr, Any] = Field(default_factory=dict)
    seed: StrictInt = 0
    config: dict[StrictStr, Any] = Field(default_factory=dict)
    history: list[dict[StrictStr, Any]] = Field(default_factory=list)
    versions: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    created: StrictStr = ""
    parent: StrictStr | None = None
    finetune: dict[StrictStr, Any] | None = None
    weights_sha256: StrictStr = Field(pattern=r"^[0-9a-f]{64}$")
    weights_file: StrictStr | None = Field(default=None, pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}\.safetensors$")
    calibration: Calibration | None = None
    environment: Environment | None = None

    @field_validator("fs")
    @classmethod
    def _finite(cls, fs: float) -> float:
        if not math.isfinite(fs):
            raise ValueError("must be a finite number of Hz")
        return fs

    @field_validator("thresholds")
    @classmethod
    def _probabilities(cls, thresholds: list[float]) -> list[float]:
        if any(not (math.isfinite(t) and 0 <= t <= 1) for t in thresholds):
            raise ValueError("thresholds must be probabilities between 0 and 1")
        return thresholds


def _interval_problems(metrics: Any, where: str = "metrics") -> list[str]:
    """Validate every ``{"value", "low", "high"}`` interval found inside ``metrics``."""
    problems = []
    if isinstance(metrics, dict):
        if {"low", "high"} <= set(metrics):
            try:
                interval = Interval.model_validate(metrics)
            except ValidationError as exc:
                return [f"{where}: {_describe(exc)}"]
            if None not in (interval.low, interval.high) and interval.low > interval.high:
                problems.append(f"{where}: interval low {interval.low} is above high {interval.high}")
            return problems
        for key, value in metrics.items():
            problems += _interval_problems(value, f"{where}.{key}")
    return problems


def json_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` in JSON text, outside strings (checked before ``json.loads`` recurses)."""
    bare = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    depth = deepest = 0
    for char in re.findall(r"[\[\]{}]", bare):
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


#: pydantic names the member of a union a value failed to match in the error's location; readers need the field
_UNION_TAG = re.compile(r"^(bool|int|float|str|none|list\[.*\]|dict\[.*\]|function-.*|literal\[.*\])$")


def _describe(exc: ValidationError) -> str:
    """One ``field: problem`` per field (a value matching no member of a union is reported once)."""
    parts: dict[str, str] = {}
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"] if not _UNION_TAG.match(str(p))) or "card"
        parts.setdefault(where, error["msg"])
    return "; ".join(f"{where}: {msg}" for where, msg in parts.items())


def validate_card(data: Any) -> list[str]:
    """Every problem of a parsed card, as ``field: problem`` sentences; empty when the card is valid.

    Needs no torch; the architecture's size is checked by :func:`architecture_problems`.
    """
    if not isinstance(data, dict):
        return ["the model card is not a JSON object"]
    try:
        card = CardSchema.model_validate(data)
    except ValidationError as exc:
        return [_describe(exc)]
    problems = _interval_problems(card.metrics)
    n_classes = len(card.label_set.classes)
    if len(card.label_set.display) != n_classes:
        problems.append(f"label_set.display: {len(card.label_set.display)} display names for {n_classes} classes")
    if len(card.thresholds) != n_classes:
        problems.append(f"thresholds: {len(card.thresholds)} thresholds for {n_classes} classes")
    if len(card.leads) != card.n_leads:
        problems.append(f"leads: {len(card.leads)} leads listed but n_leads is {card.n_leads}")
    problems += declared_architecture_problems(card.architecture, card.model_options)
    return problems + _pipeline_problems(card.preprocessing.model_dump())


def declared_architecture_problems(name: str, options: dict[str, Any]) -> list[str]:
    """Unknown architecture or option, a value of the wrong type or out of range: from the registry's
    declared table, without torch."""
    from training.architectures import ARCHITECTURES

    if name not in ARCHITECTURES:
        return [f"architecture: unknown architecture {name!r}; known: {', '.join(sorted(ARCHITECTURES))}"]
    accepted = ARCHITECTURES[name].options
    problems = []
    for key, value in options.items():
        kind = accepted.get(key)
        if kind is None:
            problems.append(f"model_options.{key}: {name} has no option {key!r} (it has {', '.join(accepted) or 'none'})")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and isinstance(value, float)):
            problems.append(f"model_options.{key}: {value!r} is not {'a whole number' if kind is int else 'a number'}")
        elif kind is int and not 0 <= value <= MAX_OPTION_INT:
            problems.append(f"model_options.{key}: {value} is outside 0..{MAX_OPTION_INT}")
        elif kind is float and not (math.isfinite(value) and abs(value) <= 1e3):
            problems.append(f"model_options.{key}: {value} is not a sane number")
    return problems


def _pipeline_problems(spec: dict) -> list[str]:
    from training.errors import ConfigError
    from training.signal.pipeline import Pipeline
    try:
        Pipeline.from_dict(spec)
    except ConfigError as exc:
        return [f"{exc.key}: {exc.reason}"]
    except (TypeError, ValueError) as exc:
        return [f"preprocessing: {exc}"]
    return []


def architecture_problems(name: str, options: dict[str, Any], n_leads: int, n_classes: int) -> list[str]:
    """The declared checks (:func:`declared_architecture_problems`), then too many parameters (counted on ``meta``)."""
    problems = declared_architecture_problems(name, options)
    if problems:
        return problems
    n_params = count_parameters(name, options, n_leads, n_classes)
    if isinstance(n_params, str):
        return [f"model_options: {n_params}"]
    if n_params > MAX_PARAMETERS:
        return [f"model_options: {name} with {options} would have {n_params:,} parameters; "
                f"at most {MAX_PARAMETERS:,} are accepted"]
    return []


def count_parameters(name: str, options: dict[str, Any], n_leads: int, n_classes: int) -> int | str:
    """Parameters of the architecture, built on the ``meta`` device (no memory); a string says why it cannot be built."""
    import torch

    from training.errors import ConfigError
    from training.models.registry import build_model
    try:
        with torch.device("meta"):
            model = build_model(name, n_leads, n_classes, **options)
    except ConfigError as exc:
        return exc.reason
    except (TypeError, ValueError, RuntimeError, AssertionError, ZeroDivisionError) as exc:
        return f"{name} cannot be built with these options ({exc})"
    return sum(p.numel() for p in model.parameters())
