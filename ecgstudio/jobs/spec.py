"""What a training job is, as data: the run config, the job type, and how the engine is started.

No Qt here: a :class:`JobSpec` is validated, stored in the job history as JSON and turned into the
engine's command line. Validation reuses the engine's own config checks (:meth:`RunConfig.from_dict`,
the model registry), so the dialog and ``python -m training`` can never disagree on what is valid;
what only the app knows (the folder exists and is a dataset, the parent model is readable) is added
here. Every problem is keyed by the config field it belongs to, for the dialog to show beside it.
The engine's config and model modules (torch) load when a job is first validated, not at start-up.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecgstudio.engine_entry import engine_command
from training.checkpoint import load_card
from training.errors import ECGError

FIT, HPO = "fit", "hpo"
#: Where the job's records come from: a dataset folder, or the records labelled in the app's library.
FOLDER, ANNOTATIONS = "folder", "annotations"
FINETUNE_MODES = ("head", "full")


@dataclass
class JobSpec:
    """One job: ``config`` is a :class:`RunConfig` dict, plus ``finetune`` when a parent model is used."""

    config: dict[str, Any]
    kind: str = FIT
    source: str = FOLDER
    trials: int = 20
    storage: str = ""
    title: str = ""

    @property
    def name(self) -> str:
        return str(self.config.get("name", "model"))

    @property
    def device(self) -> str:
        return str(self.config.get("device", "auto"))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "JobSpec":
        data = json.loads(text)
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})

    def copy(self) -> "JobSpec":
        return copy.deepcopy(self)


@dataclass
class Problems:
    """Validation problems per field key (``data.path``, ``optim.lr``, ``finetune.parent``, ``trials``...)."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        self.by_field.setdefault(key, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def validate_spec(spec: JobSpec, annotated_records: int = 0) -> Problems:
    """Every problem found before anything starts; ``annotated_records`` counts the library's labelled records."""
    problems = Problems()
    data = spec.config.get("data", {})
    if spec.source == ANNOTATIONS:
        if annotated_records == 0:
            problems.add("data.path", "no record in the annotation library has a record-level label and a known file")
    else:
        _check_folder(Path(str(data.get("path", ""))).expanduser(), str(data.get("kind", "auto")), problems)
    if spec.kind == HPO and not 1 <= int(spec.trials) <= 10_000:
        problems.add("trials", f"use 1 to 10000 trials, got {spec.trials}")
    finetune = spec.config.get("finetune")
    config = dict(spec.config)
    if finetune:
        _check_parent(finetune, problems)
    if spec.source == ANNOTATIONS:
        config["data"] = {**data, "path": "annotations", "kind": "auto"}  # exported when the job is submitted
    _check_config(config, problems)
    return problems


def _check_folder(root: Path, kind: str, problems: Problems) -> None:
    if not str(root) or str(root) == ".":
        problems.add("data.path", "choose a dataset folder")
    elif not root.is_dir():
        problems.add("data.path", f"no such folder: {root}")
    elif kind == "ptbxl" and not (root / "ptbxl_database.csv").is_file():
        problems.add("data.path", "not a PTB-XL folder: ptbxl_database.csv is missing")
    elif kind == "cinc" and next(root.rglob("*.hea"), None) is None and not _is_manifest_folder(root):
        problems.add("data.path", "no .hea record headers in this folder")


def _is_manifest_folder(root: Path) -> bool:
    from training.data.manifest import is_manifest_folder

    return is_manifest_folder(root)


def _check_parent(finetune: dict[str, Any], problems: Problems) -> None:
    if finetune.get("mode") not in FINETUNE_MODES:
        problems.add("finetune.mode", f"use one of {', '.join(FINETUNE_MODES)}")
    try:
        load_card(str(finetune.get("parent", "")))
    except ECGError as exc:
        problems.add("finetune.parent", str(exc))


def _check_config(config: dict[str, Any], problems: Problems, rounds: int = 12) -> None:
    """The engine's own checks. They stop at the first problem, so the offending value is replaced by its
    default and the check repeated, to report every field at once."""
    from training.config import RunConfig
    from training.data.labels import get_label_set
    from training.fit.run import build_run_model

    config, defaults = copy.deepcopy(config), RunConfig().to_dict()
    for _ in range(rounds):
        try:
            run = RunConfig.from_dict(config)
            build_run_model(run, len(get_label_set(run.data.label_set).classes))
            return
        except ECGError as exc:
            key = getattr(exc, "key", "config")
            key = "model.options" if key.startswith("model.") and key != "model.name" else key
            problems.add(key, getattr(exc, "reason", str(exc)))
            if not _reset(config, defaults, key.split("[")[0].split(".")):
                return


def _reset(config: dict[str, Any], defaults: dict[str, Any], path: list[str]) -> bool:
    """Put the default back at ``path`` (``model.options`` -> no options); False when there is none to use."""
    *parents, leaf = path
    for part in parents:
        config, defaults = config.get(part), defaults.get(part, {})
        if not isinstance(config, dict):
            return False
    if leaf == "options" or leaf not in defaults:
        return config.pop(leaf, None) is not None if leaf in ("options", "augment") else False
    if config.get(leaf) == defaults[leaf]:
        return False
    config[leaf] = copy.deepcopy(defaults[leaf])
    return True


def queue_key(device: str, cuda_devices: int) -> str:
    """The device a job will hold: jobs on one device run one at a time, others queue."""
    if device == "auto":
        return "cuda:0" if cuda_devices else "cpu"
    return "cuda:0" if device == "cuda" else device


def job_arguments(spec: JobSpec, config_path: Path) -> list[str]:
    """The full engine command line for ``spec`` with its config written at ``config_path``."""
    args = [*engine_command(), spec.kind, "--config", str(config_path)]
    if spec.kind == HPO:
        args += ["--trials", str(int(spec.trials))]
        if spec.storage:
            args += ["--storage", spec.storage]
    return args + ["--progress", "jsonl"]
