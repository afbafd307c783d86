"""Model files: ``<name>.json`` (the model card) + the weights it names, ``<name>.<hash>.safetensors``.

Weights are never pickled: a pickle can run arbitrary code when loaded, and model files are shared
between people. :func:`load_model` refuses anything that is not a safetensors file (``torch.save``
output, zip archives, bare pickles) with a :class:`ModelFileError` naming the file.

Everything read is untrusted: only regular files of bounded size are opened (a symlink to
``/dev/zero`` or a FIFO is refused before reading), the card is validated against
:mod:`training.card_schema` as a whole before any layer is built, and :func:`verify_model` checks the
weights (SHA-256 recorded in the card, safetensors header, tensor names and shapes against the
architecture built on the ``meta`` device, finite values) - the model library runs it at every scan,
so a model that would fail to load is listed as a problem, never as usable.

Reading a card and checking a model's weights file (:func:`check_model_files`, what the app's model
library runs at start-up) need no torch: the app lists models at start-up and loads torch only when
one first runs. Without torch they check the architecture's name and options against the registry's
declared table (:mod:`training.architectures`), the safetensors header's structure (known dtypes,
each tensor's bytes matching its shape, the tensors filling the file exactly) and the shapes the card
implies (the input tensor's leads, the classifier's classes). The parameter count and every tensor's
name and shape against the architecture are checked by :func:`verify_model`, with torch, before a
model is loaded or added to the library.

A model is replaced as one unit (:func:`training.atomic.commit_blob`): the new weights are written
beside the old ones under a content-derived name, and renaming the new card into place is the switch.
A kill at any moment leaves the previous model or the new one, whole. Cards written before this scheme
(no ``weights_file``) name ``<name>.safetensors``, which is still read.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import re
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

import numpy as np

import training
from training.atomic import atomic_write, commit_blob
from training.card_schema import (CARD_FORMAT, MAX_CARD_BYTES, MAX_CARD_DEPTH, MAX_WEIGHTS_BYTES,
                                  architecture_problems, json_depth, validate_card)
from training.data.labels import LabelSet
from training.errors import ConfigError, ModelFileError
from training.safe_files import read_bounded
from training.signal.pipeline import Pipeline

if TYPE_CHECKING:  # torch is imported by the functions that move tensors, not to read a card
    import torch

    from training.models import ECGModel

__all__ = ["CARD_FORMAT", "ModelCard", "ModelFileError", "atomic_write", "check_model_files", "load_card",
           "load_model", "model_paths", "read_tensor_file", "save_model", "verify_model", "weights_path"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tensors_to_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    from safetensors.torch import save as save_safetensors_bytes

    return save_safetensors_bytes({k: v.detach().cpu().contiguous() for k, v in tensors.items()})


def read_tensor_file(path: Path, expected_sha256: str | None = None) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file; pickles and other formats are refused before any parsing."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_safetensors_bytes

    data = read_weights_bytes(path, expected_sha256)
    try:
        return load_safetensors_bytes(data)
    except (SafetensorError, ValueError) as exc:
        raise ModelFileError(path, f"corrupt safetensors file: {exc}") from None


def read_weights_bytes(path: Path, expected_sha256: str | None = None) -> bytes:
    """A weights file's bytes, after checking (without torch) that they are safetensors with the hash the
    card records and only finite floating-point values."""
    data = read_bounded(path, MAX_WEIGHTS_BYTES, ModelFileError, "weights file")
    _refuse_non_safetensors(path, data)
    if expected_sha256 is not None and sha256(data) != expected_sha256:
        raise ModelFileError(path, "weights do not match the SHA-256 recorded in the card "
                                   "(an interrupted save or an edited file); re-save or re-train the model")
    _refuse_non_finite(path, data)
    return data


#: numpy dtypes of the safetensors float types whose values are checked for NaN/inf
_FLOATS = {"F16": "<f2", "F32": "<f4", "F64": "<f8"}


#: bytes per element of every safetensors dtype
_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
                "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def tensor_header(path: Path, data: bytes) -> dict[str, dict]:
    """The tensors a safetensors file declares (name -> dtype, shape, data_offsets), after checking without
    torch that the header is consistent: known dtypes, whole non-negative shapes, each tensor's bytes
    equal to its shape's, and the tensors filling the data that follows the header exactly."""
    header_len = int.from_bytes(data[:8], "little")
    try:
        header = json.loads(data[8:8 + header_len])
        tensors = {k: v for k, v in header.items() if k != "__metadata__"}
        spans = []
        for name, info in tensors.items():
            dtype, shape, (start, stop) = info["dtype"], info["shape"], info["data_offsets"]
            if dtype not in _DTYPE_BYTES:
                raise ValueError(f"tensor {name!r} has unknown dtype {dtype!r}")
            if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
                raise ValueError(f"tensor {name!r} has shape {shape!r}")
            if not (isinstance(start, int) and isinstance(stop, int)) or stop - start != math.prod(shape) * \
                    _DTYPE_BYTES[dtype]:
                raise ValueError(f"tensor {name!r} of shape {shape} in {dtype} cannot take bytes {start}..{stop}")
            spans.append((start, stop))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ModelFileError(path, f"corrupt safetensors header: {exc}") from None
    end = 0
    for start, stop in sorted(spans):
        if start != end:
            raise ModelFileError(path, "corrupt safetensors header: its tensors overlap or leave gaps")
        end = stop
    if end != len(data) - 8 - header_len:
        raise ModelFileError(path, f"the safetensors header describes {end:,} bytes of tensors but the file holds "
                                   f"{len(data) - 8 - header_len:,} (truncated or padded)")
    return tensors


def card_shape_problems(card: ModelCard, tensors: dict[str, dict]) -> list[str]:
    """Shapes the card implies that the weights contradict (the input tensor's leads, the classifier's
    classes), from the registry's declared table; empty for an architecture it does not list."""
    from training.architectures import ARCHITECTURES

    declared = ARCHITECTURES.get(card.architecture)
    if declared is None:
        return []
    problems = []
    for name, axis, wanted, what in ((declared.input_tensor, 1, card.n_leads, "leads"),
                                     (declared.output_tensor, 0, len(card.classes), "classes")):
        shape = tensors.get(name, {}).get("shape")
        if shape is None:
            problems.append(f"the weights lack {name!r}, which {card.architecture} has")
        elif len(shape) <= axis or shape[axis] != wanted:
            problems.append(f"{name!r} has shape {shape}, which does not fit the card's {wanted} {what}")
    return problems


def _refuse_non_finite(path: Path, data: bytes) -> None:
    header_len = int.from_bytes(data[:8], "little")
    tensors = tensor_header(path, data)
    bad = [name for name, info in sorted(tensors.items()) if info["dtype"] in _FLOATS and not np.isfinite(
        np.frombuffer(data, _FLOATS[info["dtype"]], offset=8 + header_len + info["data_offsets"][0],
                      count=(info["data_offsets"][1] - info["data_offsets"][0]) // np.dtype(
                          _FLOATS[info["dtype"]]).itemsize)).all()]
    if bad:
        raise ModelFileError(path, f"weights hold non-finite values (NaN or inf) in {len(bad)} tensor(s), "
                                   f"e.g. {bad[0]!r}; such a model predicts nothing meaningful")


def _refuse_non_safetensors(path: Path, data: bytes) -> None:
    if data[:4] == b"PK\x03\x04":
        raise ModelFileError(path, "is a zip archive (torch.save format); ECG Studio never unpickles model "
                                   "files - convert it to safetensors")
    if data[:1] == b"\x80":
        raise ModelFileError(path, "is a Python pickle; ECG Studio never unpickles model files - "
                                   "convert it to safetensors")
    header_len = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if header_len <= 0 or 8 + header_len > len(data) or data[8:9] != b"{":
        raise ModelFileError(path, "is not a safetensors file")


@dataclass
class ModelCard:
    """Everything needed to rebuild a model, preprocess a record for it, and read its outputs."""

    architecture: str
    model_options: dict[str, Any]
    n_leads: int
    label_set: dict[str, Any]
    fs: float
    leads: list[str]
    input_length: int
    preprocessing: dict[str, Any]
    thresholds: list[float]
    single_label: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    created: str = ""
    parent: str | None = None
    #: fine-tuned models: parent path and weights hash, mode, backbone scale (:mod:`training.fit.finetune`)
    finetune: dict[str, Any] | None = None
    #: optional: per-class calibration map, what it was fitted on and how well it does (:mod:`training.calibrate`)
    calibration: dict[str, Any] | None = None
    #: optional: threads, library versions and hardware of the training run (:func:`run_environment`)
    environment: dict[str, Any] | None = None
    weights_sha256: str = ""
    #: the weights file beside the card (``None``: ``<name>.safetensors``, cards older than atomic replacement)
    weights_file: str | None = None
    format: str = CARD_FORMAT

    @property
    def labels(self) -> LabelSet:
        return LabelSet.from_dict(self.label_set)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.label_set["classes"])

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline.from_dict(self.preprocessing)

    @property
    def threshold_array(self) -> np.ndarray:
        return np.asarray(self.thresholds, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path) -> "ModelCard":
        """The card, after :func:`training.card_schema.validate_card` found nothing wrong with any of it."""
        if isinstance(data, dict) and data.get("format") != CARD_FORMAT:
            raise ModelFileError(path, f"not an ECG Studio model card (format {str(data.get('format'))[:40]!r}, "
                                       f"expected {CARD_FORMAT!r})")
        problems = validate_card(data)
        if problems:
            raise ModelFileError(path, "invalid model card: " + "; ".join(problems))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def library_versions() -> dict[str, str]:
    import safetensors
    import sklearn
    import torch
    return {"ecgstudio": training.__version__, "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__, "safetensors": safetensors.__version__,
            "platform": f"{sys.platform}-{platform.machine()}"}


_VERSIONED = re.compile(r"^(?P<stem>.+)\.[0-9a-f]{16}$")


def model_paths(path: str | Path) -> tuple[Path, Path]:
    """``(legacy weights, card)`` paths for a model given as ``name``, ``name.safetensors`` or ``name.json``.

    A versioned weights file ``name.<hash>.safetensors`` names the model ``name``. The weights a card
    actually uses are :func:`weights_path` of it.
    """
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
    versioned = _VERSIONED.match(stem.name)
    if versioned and not stem.with_name(stem.name + ".json").is_file():
        stem = stem.with_name(versioned["stem"])
    return stem.with_name(stem.name + ".safetensors"), stem.with_name(stem.name + ".json")


def weights_path(card: ModelCard, card_path: Path) -> Path:
    """The weights file a card names (beside it), or ``<name>.safetensors`` for cards that name none."""
    return card_path.with_name(card.weights_file) if card.weights_file else model_paths(card_path)[0]


def save_model(path: str | Path, model: ECGModel, card: ModelCard) -> tuple[Path, Path]:
    """Write weights and card as one unit; fills in the card's hash, versions and creation time."""
    card.versions = card.versions or library_versions()
    card.created = card.created or datetime.now(timezone.utc).isoformat(timespec="seconds")
    return write_model_files(model_paths(path)[1], tensors_to_bytes(model.state_dict()), card)


def write_model_files(card_path: Path, weights: bytes, card: ModelCard) -> tuple[Path, Path]:
    """Make ``weights`` + ``card`` the model at ``card_path`` (one rename switches; the old one stays until then)."""
    card.weights_sha256 = sha256(weights)

    def describe(name: str) -> bytes:
        card.weights_file = name
        return json.dumps(card.to_dict(), indent=2, allow_nan=False, default=_json_default).encode("utf-8")

    stem = card_path.name[: -len(".json")]
    return commit_blob(card_path.parent, stem, weights, card_path, describe), card_path


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, (np.ndarray, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def load_card(path: str | Path) -> ModelCard:
    """The card of a model, read from a bounded regular file and validated as a whole."""
    _, card_path = model_paths(path)
    raw = read_bounded(card_path, MAX_CARD_BYTES, ModelFileError, "model card")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(card_path, "model card is not UTF-8 text") from None
    if json_depth(text) > MAX_CARD_DEPTH:
        raise ModelFileError(card_path, f"model card nests deeper than {MAX_CARD_DEPTH} levels; no card does")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(card_path, f"model card is not valid JSON: {exc}") from None
    return ModelCard.from_dict(data, card_path)


def check_model_files(path: str | Path) -> ModelCard:
    """The card, once card and weights file pass every check that needs no torch (see the module docstring)."""
    _, card_path = model_paths(path)
    card = load_card(card_path)
    weights = weights_path(card, card_path)
    problems = card_shape_problems(card, tensor_header(weights, read_weights_bytes(weights, card.weights_sha256)))
    if problems:
        raise ModelFileError(weights, "weights do not fit the card: " + "; ".join(problems))
    return card


def verify_model(path: str | Path) -> tuple[ModelCard, dict[str, torch.Tensor]]:
    """Everything :func:`load_model` checks, without building the model: card, architecture, hash, tensors,
    shapes (against the architecture built on the ``meta`` device) and finite values."""
    import torch

    from training.models import build_model

    _, card_path = model_paths(path)
    card = load_card(card_path)
    problems = architecture_problems(card.architecture, card.model_options, card.n_leads, len(card.classes))
    if problems:
        raise ModelFileError(card_path, "invalid model card: " + "; ".join(problems))
    weights = weights_path(card, card_path)
    state = read_tensor_file(weights, card.weights_sha256)
    with torch.device("meta"):
        expected = build_model(card.architecture, card.n_leads, len(card.classes), **card.model_options).state_dict()
    wrong = sorted(set(expected) ^ set(state))
    wrong += [k for k in expected if k in state and tuple(expected[k].shape) != tuple(state[k].shape)]
    if wrong:
        raise ModelFileError(weights, f"weights do not fit architecture {card.architecture!r} "
                                      f"({len(wrong)} tensor(s) missing, extra or misshapen, e.g. {wrong[0]!r})")
    return card, state


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[ECGModel, ModelCard]:
    """Rebuild the architecture from the verified card, load the verified weights (never unpickling), eval mode."""
    from training.models import build_model

    card, state = verify_model(path)
    try:
        model = build_model(card.architecture, card.n_leads, len(card.classes), **card.model_options)
    except ConfigError as exc:
        raise ModelFileError(model_paths(path)[1], f"cannot build the model: {exc}") from None
    model.load_state_dict(state, strict=True)
    return model.to(device).eval(), card
