"""The models the app offers: bundled ones (``resources/models``, read-only) and the user's own folder.

A model is a ``name.safetensors`` + ``name.json`` pair (see :mod:`training.checkpoint`). Scanning reads
only the JSON cards, so listing is instant; weights are loaded when a model is first run. A card that
cannot be read is skipped and its reason kept in :attr:`ModelLibrary.problems`, so one bad file never
hides the others. Adding copies both files with :func:`training.checkpoint.atomic_write`, so a failed
copy leaves no half model in the user folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal

from ecgstudio.paths import resources_dir
from training.checkpoint import ModelCard, ModelFileError, atomic_write, load_card, model_paths, read_tensor_file

SETTINGS_KEY = "models/user_dir"


def bundled_models_dir() -> Path:
    return resources_dir() / "models"


def default_user_dir() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or str(Path.home() / ".ecgstudio")
    return Path(folder) / "models"


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


def scan_folder(folder: Path, bundled: bool) -> tuple[list[ModelEntry], dict[Path, str]]:
    """Models whose card and weights both exist in ``folder`` (not recursive), and why others were skipped."""
    entries: list[ModelEntry] = []
    problems: dict[Path, str] = {}
    if not folder.is_dir():
        return entries, problems
    for card_path in sorted(folder.glob("*.json")):
        weights, _ = model_paths(card_path)
        if not weights.is_file():
            continue  # a JSON file that is not a model card (or a half-deleted model)
        try:
            card = load_card(card_path)
        except ModelFileError as exc:
            problems[card_path] = exc.reason
            continue
        entries.append(ModelEntry(card_path.stem, card_path.with_suffix(""), card, bundled))
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

        The card and the weights are checked (format, SHA-256) before anything is written, so the user
        folder only ever receives models that will load. Raises :class:`ModelFileError` otherwise.
        """
        weights_path, card_path = model_paths(path)
        card = load_card(card_path)
        read_tensor_file(weights_path, card.weights_sha256)
        target = self._free_target(card_path.stem, card.weights_sha256)
        if target.resolve() != card_path.with_suffix("").resolve():
            new_weights, new_card = model_paths(target)
            try:
                atomic_write({new_weights: weights_path.read_bytes(), new_card: card_path.read_bytes()})
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
