"""Model files: ``<name>.safetensors`` (weights) + ``<name>.json`` (the model card), written atomically.

Weights are never pickled: a pickle can run arbitrary code when loaded, and model files are shared
between people. :func:`load_model` refuses anything that is not a safetensors file (``torch.save``
output, zip archives, bare pickles) with a :class:`ModelFileError` naming the file.

Both files are fully written and fsynced to temporary names before either is renamed into place, so an
exception or a kill during the write leaves the previous model intact. The card records the SHA-256 of
the weights; a mismatch (a kill between the two renames, or a hand-edited file) is refused on load.

Reading a card needs no torch: the app lists models at start-up and loads torch only when one first runs.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

import numpy as np

import training
from training.atomic import atomic_write
from training.data.labels import LabelSet
from training.errors import ModelFileError
from training.signal.pipeline import Pipeline

if TYPE_CHECKING:  # torch is imported by the functions that move tensors, not to read a card
    import torch

    from training.models import ECGModel

CARD_FORMAT = "ecgstudio-model/1"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tensors_to_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    from safetensors.torch import save as save_safetensors_bytes

    return save_safetensors_bytes({k: v.detach().cpu().contiguous() for k, v in tensors.items()})


def read_tensor_file(path: Path, expected_sha256: str | None = None) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file; pickles and other formats are refused before any parsing."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_safetensors_bytes

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(path, f"cannot read: {exc.strerror or exc}") from None
    _refuse_non_safetensors(path, data)
    if expected_sha256 is not None and sha256(data) != expected_sha256:
        raise ModelFileError(path, "weights do not match the SHA-256 recorded in the card "
                                   "(an interrupted save or an edited file); re-save or re-train the model")
    try:
        return load_safetensors_bytes(data)
    except (SafetensorError, ValueError) as exc:
        raise ModelFileError(path, f"corrupt safetensors file: {exc}") from None


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
    weights_sha256: str = ""
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
        if data.get("format") != CARD_FORMAT:
            raise ModelFileError(path, f"not an ECG Studio model card (format {data.get('format')!r}, "
                                       f"expected {CARD_FORMAT!r})")
        known = set(cls.__dataclass_fields__)
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise ModelFileError(path, f"incomplete model card: {exc}") from None


def library_versions() -> dict[str, str]:
    import safetensors
    import sklearn
    import torch
    return {"ecgstudio": training.__version__, "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__, "safetensors": safetensors.__version__,
            "platform": f"{sys.platform}-{platform.machine()}"}


def model_paths(path: str | Path) -> tuple[Path, Path]:
    """``(weights, card)`` paths for a model given as ``name``, ``name.safetensors`` or ``name.json``."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
    return stem.with_name(stem.name + ".safetensors"), stem.with_name(stem.name + ".json")


def save_model(path: str | Path, model: ECGModel, card: ModelCard) -> tuple[Path, Path]:
    """Write weights and card atomically; fills in the card's hash, versions and creation time."""
    weights_path, card_path = model_paths(path)
    weights = tensors_to_bytes(model.state_dict())
    card.weights_sha256 = sha256(weights)
    card.versions = card.versions or library_versions()
    card.created = card.created or datetime.now(timezone.utc).isoformat(timespec="seconds")
    text = json.dumps(card.to_dict(), indent=2, allow_nan=False, default=_json_default)
    atomic_write({weights_path: weights, card_path: text.encode("utf-8")})
    return weights_path, card_path


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, (np.ndarray, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def load_card(path: str | Path) -> ModelCard:
    _, card_path = model_paths(path)
    try:
        data = json.loads(card_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelFileError(card_path, f"cannot read the model card: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(card_path, f"model card is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelFileError(card_path, "model card is not a JSON object")
    return ModelCard.from_dict(data, card_path)


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[ECGModel, ModelCard]:
    """Rebuild the architecture from the card, load the weights (never unpickling), eval mode."""
    from training.models import build_model

    weights_path, _ = model_paths(path)
    card = load_card(path)
    state = read_tensor_file(weights_path, card.weights_sha256)
    model = build_model(card.architecture, card.n_leads, len(card.classes), **card.model_options)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelFileError(weights_path, f"weights do not fit architecture {card.architecture!r}: "
                                           f"{str(exc).splitlines()[0]}") from None
    return model.to(device).eval(), card
