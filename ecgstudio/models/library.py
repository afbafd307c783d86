"""The models the app offers: bundled ones (``resources/models``, read-only) and the user's own folder.

A model is a card ``name.json`` and the weights file it names (see :mod:`training.checkpoint`). Scanning
checks each model without torch (card schema, weights' safetensors header, SHA-256, finite values;
remembered per file size and modification time, so a rescan is instant) and lists a model that fails,
with its reason, in :attr:`ModelLibrary.problems`: one bad file - a pickle renamed ``.safetensors``, a
card nested a million levels deep, a symlink to ``/dev/zero``, a FIFO - never hides the others. The
architecture's name and options are checked against the registry's declared table and the weights'
safetensors header against itself and the card's leads and classes, still without torch; only the
parameter count and the full tensor-by-tensor fit need torch, checked when the model first runs. Adding verifies everything, architecture included, before anything is written, then writes
the model as one unit (:func:`training.checkpoint.write_model_files`), so the user folder only receives
models that load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from ecgstudio.paths import resources_dir
from training.checkpoint import (ModelCard, ModelFileError, check_model_files, load_card, model_paths, verify_model,
                                 weights_path, write_model_files)
from training.errors import ECGError
from training.user_dirs import data_dir

SETTINGS_KEY = "models/user_dir"


def bundled_models_dir() -> Path:
    return resources_dir() / "models"


def default_user_dir() -> Path:
    return data_dir() / "models"


@dataclass(frozen=True)
class ModelEntry:
    """One model file pair; ``path`` is the stem (``folder/name``) that :func:`load_model` accepts."""

    name: str
    path: Path
    card: ModelCard
    bundled: bool

    @property
    def label(self) -> str:
        """What the chooser shows."""
        return f"{self.name} (bundled)" if self.bundled else self.name


#: verified cards by (card path, size and mtime of card and weights): a rescan re-reads nothing unchanged
_VERIFIED: dict[tuple, ModelCard] = {}


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def verified_card(card_path: Path) -> ModelCard:
    """The card of a model that :func:`check_model_files` passes, from the cache when neither file changed."""
    card = load_card(card_path)
    key = (card_path, _signature(card_path), _signature(weights_path(card, card_path)))
    if key not in _VERIFIED:
        _VERIFIED[key] = check_model_files(card_path)
    return _VERIFIED[key]


def scan_folder(folder: Path, bundled: bool) -> tuple[list[ModelEntry], dict[Path, str]]:
    """Models in ``folder`` (not recursive) that will load, and why each other model card will not."""
    entries: list[ModelEntry] = []
    problems: dict[Path, str] = {}
    try:
        if not folder.is_dir():
            return entries, problems
        cards = sorted(folder.glob("*.json"))
    except OSError as exc:  # a folder this user may not open (permissions, a lost network share)
        problems[folder] = f"the model folder cannot be read: {exc.strerror or exc}"
        return entries, problems
    for card_path in cards:
        try:
            entries.append(ModelEntry(card_path.stem, card_path.with_suffix(""), verified_card(card_path), bundled))
        except ECGError as exc:
            problems[card_path] = getattr(exc, "reason", str(exc))
    return entries, problems


class ModelLibrary(QObject):
    """Lists the bundled and user models; emits :attr:`modelsChanged` after every refresh."""

    modelsChanged = Signal()

    def __init__(self, settings: QSettings | None = None, bundled_dir: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.bundled_dir = Path(bundled_dir) if bundled_dir is not None else bundled_models_dir()
        self._entries: list[ModelEntry] = []
        self.problems: dict[Path, str] = {}
        self.refresh()

    @property
    def user_dir(self) -> Path:
        return Path(self.settings.value(SETTINGS_KEY, "") or default_user_dir())

    def set_user_dir(self, folder: str | Path) -> None:
        self.settings.setValue(SETTINGS_KEY, str(folder))
        self.refresh()

    def models(self) -> list[ModelEntry]:
        return list(self._entries)

    def find(self, name: str) -> ModelEntry | None:
        """The entry listed as ``name`` (user models shadow bundled ones of the same name)."""
        matches = [e for e in self._entries if e.name == name]
        return next((e for e in matches if not e.bundled), matches[0] if matches else None)

    def refresh(self) -> None:
        bundled, bad_bundled = scan_folder(self.bundled_dir, bundled=True)
        user, bad_user = scan_folder(self.user_dir, bundled=False)
        self._entries = bundled + user
        self.problems = {**bad_bundled, **bad_user}
        self.modelsChanged.emit()

    def add(self, path: str | Path) -> ModelEntry:
        """Copy a model (given as stem, ``.safetensors`` or ``.json``) into the user folder; returns its entry.

        The model is verified as loading would (:func:`training.checkpoint.verify_model`) before anything
        is written, so the user folder only ever receives models that will load. Raises
        :class:`ModelFileError` otherwise.
        """
        _, card_path = model_paths(path)
        card, _ = verify_model(card_path)
        target = self._free_target(card_path.stem, card.weights_sha256)
        if target.resolve() != card_path.with_suffix("").resolve():
            weights = weights_path(card, card_path)
            try:
                data = weights.read_bytes()
                if hashlib.sha256(data).hexdigest() != card.weights_sha256:
                    raise ModelFileError(weights, "changed while it was being added; add it again")
                write_model_files(model_paths(target)[1], data, card)
            except OSError as exc:
                raise ModelFileError(target, f"cannot copy into the model folder: {exc.strerror or exc}") from None
        self.refresh()
        return next(e for e in self._entries if not e.bundled and e.name == target.name)

    def _free_target(self, stem: str, weights_sha256: str):
        """``user_dir/stem``, or ``stem-2``, ``stem-3``... when another model already has that name.

        Two jobs that both name their model "ecg-model" must not overwrite each other; adding the very
        same weights again reuses their place.
        """
        n, target = 1, self.user_dir / stem
        while model_paths(target)[1].is_file():
            try:
                if load_card(target).weights_sha256 == weights_sha256:
                    break
            except ModelFileError:
                pass  # an unreadable card keeps its name; take the next one
            n += 1
            target = self.user_dir / f"{stem}-{n}"
        return target
