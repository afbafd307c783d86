"""``python -m training hpo``: an Optuna study over a run config's hyperparameters (paper 000 tuned this way).

Each trial is a normal :func:`training.fit.fit` run of the base config with some values replaced. The
objective is the trial's best *validation* value of ``train.monitor`` (the epoch early stopping keeps);
the test split is never scored in a trial (``score_test`` is off: only the model fitted from the exported
best config is tested, once). Each epoch's validation value is reported to the pruner
(``MedianPruner``), which stops trials that fall behind the median of earlier ones at the same epoch.

The search space is data: :data:`COMMON_SPACE` (learning rate, weight decay, batch size, normalisation)
plus an architecture's options (:data:`ARCH_SPACES`), the loss and its parameters (:data:`LOSS_SPACES`)
and the strength of each augmentation the base config uses. ``--space FILE`` narrows or replaces any
entry: ``"optim.lr" = {low = 1e-4, high = 1e-2, log = true}`` or ``"model.options.width" = [8, 16]``.

The study lives in SQLAlchemy storage (by default a SQLite file beside the runs) and is resumed when it
exists: re-running the command adds ``--trials`` more. The sampler is seeded with the config's seed plus
the number of trials already in the study, so a resumed study does not repeat its first suggestions.
The best trial is exported as a TOML config that ``python -m training fit`` trains as is.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import optuna

from training.checkpoint import atomic_write
from training.config import RunConfig, dumps_config
from training.errors import ConfigError, ECGError
from training.fit import fit
from training.progress import CancelToken, Event, TrainingCancelled
from training.signal.normalize import NORMALIZATIONS

Report = Callable[[Event], None]
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)


@dataclass(frozen=True)
class Param:
    """One searched value: a range (``low``..``high``, log-uniform with ``log``; ints stay ints) or ``choices``."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] | None = None

    def suggest(self, trial: optuna.Trial, key: str) -> Any:
        if self.choices is not None:
            return trial.suggest_categorical(key, list(self.choices))
        if isinstance(self.low, int) and isinstance(self.high, int):
            return trial.suggest_int(key, self.low, self.high, log=self.log)
        return trial.suggest_float(key, float(self.low), float(self.high), log=self.log)


COMMON_SPACE: dict[str, Param] = {
    "optim.lr": Param(1e-4, 1e-2, log=True),
    "optim.weight_decay": Param(1e-5, 1e-1, log=True),
    "train.batch_size": Param(choices=(16, 32, 64)),
    "data.normalization": Param(choices=tuple(n for n in ("zscore", "minmax", "rscale") if n in NORMALIZATIONS)),
}
_WIDTH, _DROPOUT = Param(choices=(16, 32, 64)), Param(0.0, 0.5)
_RECURRENT = {"width": _WIDTH, "hidden": Param(choices=(64, 128, 256)), "layers": Param(1, 2), "dropout": _DROPOUT}
_ATTENTION = {"width": _WIDTH, "heads": Param(choices=(1, 2, 4)), "layers": Param(1, 2), "dropout": _DROPOUT}
#: Options per architecture (``model.options.<name>``); unlisted architectures search width and dropout.
ARCH_SPACES: dict[str, dict[str, Param]] = {
    "resnet1d18": {"width": _WIDTH, "dropout": _DROPOUT},
    "resnet1d50": {"width": Param(choices=(16, 32)), "dropout": _DROPOUT},
    "inception1d": {"width": Param(choices=(8, 16, 32)), "depth": Param(choices=(3, 6, 9)), "dropout": _DROPOUT},
    "crnn_gru": _RECURRENT, "crnn_lstm": _RECURRENT, "cnn_te": _ATTENTION, "restransformer": _ATTENTION,
}
#: Losses and their parameters (``loss.<loss>.<option>``, used only when that loss is drawn).
LOSS_SPACES: dict[str, dict[str, Param]] = {
    "focal": {"gamma": Param(0.5, 4.0), "alpha": Param(0.25, 0.9)},
    "bce": {},
    "double_soft_f1": {},
}
#: Augmentations of the base config whose ``strength`` is searched (``augment.<name>.strength``).
AUGMENT_STRENGTHS: dict[str, Param] = {"gaussian_noise": Param(0.0, 0.2), "baseline_wander": Param(0.0, 0.3)}


def search_space(base: RunConfig, overrides: dict[str, Param] | None = None) -> dict[str, Param]:
    """Every searched key of ``base``'s architecture, with ``overrides`` replacing entries by key."""
    space = dict(COMMON_SPACE)
    options = ARCH_SPACES.get(base.model.name, {"width": _WIDTH, "dropout": _DROPOUT})
    space.update({f"model.options.{k}": p for k, p in options.items()})
    if base.loss.name != "cross_entropy":  # single-label runs keep their softmax loss
        space["loss.name"] = Param(choices=tuple(LOSS_SPACES))
        space.update({f"loss.{loss}.{k}": p for loss, params in LOSS_SPACES.items() for k, p in params.items()})
    space.update({f"augment.{a['name']}.strength": AUGMENT_STRENGTHS[a["name"]]
                  for a in base.augment if a["name"] in AUGMENT_STRENGTHS})
    for key, param in (overrides or {}).items():
        if key not in space:
            raise ConfigError(f"space.{key}", f"not a searched key for {base.model.name}; known: {', '.join(space)}")
        space[key] = param
    return space


def load_space(path: str | Path) -> dict[str, Param]:
    """``--space`` overrides: ``key = [choices]`` or ``key = {low, high, log}``."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read the search space: {exc}") from None
    out = {}
    for key, value in data.items():
        if isinstance(value, list) and value:
            out[key] = Param(choices=tuple(value))
        elif isinstance(value, dict) and {"low", "high"} <= set(value) <= {"low", "high", "log"}:
            out[key] = Param(value["low"], value["high"], bool(value.get("log", False)))
        else:
            raise ConfigError(f"space.{key}", "use a non-empty list of choices or {low, high[, log]}")
    return out


def suggest(trial: optuna.Trial, space: dict[str, Param]) -> dict[str, Any]:
    """Values for one trial; a loss's parameters are drawn only when that loss is."""
    params = {}
    loss = space["loss.name"].suggest(trial, "loss.name") if "loss.name" in space else None
    for key, param in space.items():
        parts = key.split(".")
        if key == "loss.name" or (parts[0] == "loss" and parts[1] != loss):
            continue
        params[key] = param.suggest(trial, key)
    if loss is not None:
        params["loss.name"] = loss
    return params


def apply_params(base: RunConfig, params: dict[str, Any]) -> RunConfig:
    """``base`` with the trial's values (validated: a bad combination is a :class:`ConfigError`)."""
    data = base.to_dict()
    if "loss.name" in params and params["loss.name"] != base.loss.name:
        data["loss"] = {"name": params["loss.name"], "options": {}}
    for key, value in params.items():
        parts = key.split(".")
        if parts[0] == "augment":
            next(a for a in data["augment"] if a["name"] == parts[1])[parts[2]] = value
        elif parts[0] == "loss" and key != "loss.name":
            data["loss"]["options"][parts[2]] = value
        else:
            node = data
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
    return RunConfig.from_dict(data)


@dataclass
class StudyResult:
    study: optuna.Study
    storage: str
    best_config: Path


def default_storage(base: RunConfig, study_name: str) -> str:
    path = (Path(base.output).expanduser() / "hpo" / f"{study_name}.sqlite3").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def run_study(base: RunConfig, trials: int, storage: str | None = None, study_name: str | None = None,
              report: Report = lambda _: None, cancel: CancelToken | None = None,
              overrides: dict[str, Param] | None = None) -> StudyResult:
    """Run ``trials`` more trials of the study (created, or resumed when it exists) and export the best."""
    if trials < 1:
        raise ConfigError("trials", f"must be >= 1, got {trials}")
    study_name = study_name or base.name
    storage = storage or default_storage(base, study_name)
    space = search_space(base, overrides)
    monitor = base.train.monitor
    study = optuna.create_study(study_name=study_name, storage=storage, load_if_exists=True,
                                direction="minimize" if monitor == "loss" else "maximize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
    study.sampler = optuna.samplers.TPESampler(seed=base.seed + len(study.trials))
    runs = Path(base.output).expanduser() / "hpo" / study_name

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, space)
        config = apply_params(base, params)
        config.name, config.output = f"trial{trial.number:04d}", str(runs)
        config.score_test = False  # a trial never sees the test split; the chosen config is fitted and tested once
        best: list[float] = []

        def on_event(event: Event) -> None:
            if event.type == "epoch":
                best.append(event.fields["best_value"])
                trial.report(event.fields[f"val_{monitor}"], event.fields["epoch"])
                if trial.should_prune():
                    raise optuna.TrialPruned()

        try:
            result = fit(config, on_event, cancel)
        except TrainingCancelled:
            raise
        except ECGError as exc:  # this combination cannot train (diverged, undefined metric...): FAIL
            trial.set_user_attr("error", str(exc).splitlines()[0])
            return math.nan
        trial.set_user_attr("model", str(result.model_path))
        trial.set_user_attr("best_epoch", result.card.metrics["best_epoch"])
        return float(best[-1])

    def finished(_study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        report(trial_event(trial))

    study.optimize(objective, n_trials=trials, callbacks=[finished], catch=())
    return StudyResult(study, storage, export_best(study, base, runs / "best_config.toml", storage))


def trial_event(trial: optuna.trial.FrozenTrial) -> Event:
    """The ``trial`` progress event; a pruned trial's value is its last reported validation value."""
    value = trial.value
    if value is None and trial.intermediate_values:
        value = trial.intermediate_values[max(trial.intermediate_values)]
    return Event("trial", {"number": trial.number, "state": trial.state.name,
                           "value": value if value is not None and math.isfinite(value) else None,
                           "params": trial.params})


def export_best(study: optuna.Study, base: RunConfig, path: Path, storage: str) -> Path:
    """The best completed trial's config as TOML, atomically, ready for ``python -m training fit``."""
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise ECGError(f"study {study.study_name!r} has no completed trial to export")
    best = study.best_trial
    config = apply_params(base, best.params)
    config.name = f"{base.name}_best"
    header = (f"# Best trial {best.number} of Optuna study {study.study_name!r} ({len(complete)} completed of "
              f"{len(study.trials)}), validation {base.train.monitor} {best.value:.4f}.\n# Storage: {storage}\n"
              f"# Train it:  python -m training fit --config {path}\n")
    atomic_write({path: (header + dumps_config(config)).encode("utf-8")})
    return path
