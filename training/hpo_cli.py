"""``python -m training hpo``: the command line of :mod:`training.hpo` (Optuna, the trainer and torch are
imported when the command runs, so registering it keeps ``--help`` instant)."""

from __future__ import annotations

import argparse

from training.progress import CancelToken, Callback, Event


def cmd_hpo(args: argparse.Namespace, emit: Callback) -> int:
    import signal

    import optuna

    from training.config import load_config
    from training.hpo import load_space, run_study

    base = load_config(args.config)
    if args.device:
        base.device = args.device
    base.validate()
    jsonl = args.progress == "jsonl"

    def report(trial: Event) -> None:
        if jsonl:
            emit(trial)
        else:
            print(f"trial {trial['number']}: {trial['state']} value={trial['value']} {trial['params']}", flush=True)

    cancel = CancelToken()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: cancel.cancel())
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = run_study(base, args.trials, args.storage, args.study, report, cancel,
                       load_space(args.space) if args.space else None)
    best = result.study.best_trial
    done = {"best_config": str(result.best_config), "best_trial": best.number, "best_value": best.value,
            "best_params": best.params, "study": result.study.study_name, "storage": result.storage,
            "trials": len(result.study.trials)}
    if jsonl:
        emit(Event("done", done))
    else:
        print(f"best trial {best.number}: {base.train.monitor} {best.value:.4f}; config {result.best_config}")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("hpo", parents=[common], help="Optuna search over a config's hyperparameters")
    p.add_argument("--config", required=True, help="base run configuration (.toml or .json)")
    p.add_argument("--trials", type=int, required=True, help="trials to add to the study")
    p.add_argument("--storage", help="SQLAlchemy URL (default: sqlite file <output>/hpo/<study>.sqlite3)")
    p.add_argument("--study", help="study name (default: the config's name); an existing study is resumed")
    p.add_argument("--space", help="TOML file narrowing the search space (see training/hpo.py)")
    p.set_defaults(run=cmd_hpo)
