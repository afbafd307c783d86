"""Training the delineator network on LUDB, by fold (for the out-of-fold evaluation) and on all records
(the model file ``measure`` ships).

The folds are measure-eval's (record id mod 5). Each fold's network is trained on the other four folds
minus a validation split (every 8th of those records, by id), which picks the epoch; the fold itself is
never seen. Fold networks are ordinary model files in a cache folder, reused while their card's
training config and record lists match, so re-running ``measure-eval`` does not retrain them. The
final network is trained on all 160 records for the median of the folds' best epochs.
"""

from __future__ import annotations

import dataclasses
import statistics
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from training.measure.segnet import SegExample, SegTraining, model_card, network_input, target_labels, train

N_FOLDS = 5
VAL_EVERY_NTH = 8


def example(record, reference) -> SegExample:
    """The network input and labels of one LUDB record (input exactly as ``measure`` prepares it)."""
    from training.measure.engine import band_limited

    raw = np.asarray(record.signal, dtype=np.float64)
    raw = raw - np.median(raw, axis=1, keepdims=True)
    x = network_input(band_limited(raw, float(record.fs), 40.0), float(record.fs), record.leads)
    return SegExample(record.name, x, target_labels(reference.fiducials, reference.span, float(record.fs), x.shape[1]))


def split(names: Sequence[str], fold: int | None) -> tuple[list[int], list[int]]:
    """(training, validation) indices of the records outside ``fold`` (None: all records, no validation)."""
    outside = [i for i, n in enumerate(names) if fold is None or int(n) % N_FOLDS != fold]
    if fold is None:
        return outside, []
    val = [i for k, i in enumerate(outside) if k % VAL_EVERY_NTH == fold % VAL_EVERY_NTH]
    return [i for i in outside if i not in val], val


def _cached(path: Path, config: SegTraining, train_names: list[str], val_names: list[str]):
    """The fold network at ``path`` when it was trained with this config on these records, else None."""
    from training.checkpoint import load_card
    from training.errors import ECGError
    from training.measure.segnet import Segmenter

    if not path.with_suffix(".json").is_file():
        return None
    try:
        card = load_card(path)
    except ECGError:
        return None
    same = (card.config.get("segmentation") == dataclasses.asdict(config)
            and card.data.get("train_records") == train_names and card.data.get("val_records") == val_names)
    return Segmenter.load(path) if same else None


def fold_networks(examples: Sequence[SegExample], folder: Path, config: SegTraining = SegTraining(),
                  progress: Callable[[str], None] = lambda s: None) -> dict[int, "object"]:
    """fold -> :class:`~training.measure.segnet.Segmenter` trained without that fold (cached in ``folder``)."""
    from training.checkpoint import save_model
    from training.measure.segnet import Segmenter

    names = [e.name for e in examples]
    out = {}
    for fold in range(N_FOLDS):
        tr, va = split(names, fold)
        train_names, val_names = [names[i] for i in tr], [names[i] for i in va]
        path = folder / f"delineator_fold{fold}"
        seg = _cached(path, config, train_names, val_names)
        if seg is None:
            progress(f"training the fold {fold + 1}/{N_FOLDS} network ({len(tr)} records, {len(va)} validation)")
            model, history, best = train([examples[i] for i in tr], [examples[i] for i in va], config,
                                         progress=lambda s, f=fold: progress(f"fold {f + 1}: {s}"))
            folder.mkdir(parents=True, exist_ok=True)
            save_model(path, model, model_card(config, train_names, val_names, history, best))
            seg = Segmenter.load(path)
        out[fold] = seg
    return out


def final_network(examples: Sequence[SegExample], out: Path, epochs: int, config: SegTraining = SegTraining(),
                  extra: dict | None = None, progress: Callable[[str], None] = lambda s: None) -> Path:
    """Train on every record for ``epochs`` and save the model file at ``out`` (stem)."""
    from training.checkpoint import save_model

    model, history, _ = train(examples, [], config, epochs=epochs, progress=progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_model(out, model, model_card(config, [e.name for e in examples], [], history, epochs, extra))
    return out


def median_best_epoch(networks: dict[int, "object"]) -> int:
    return int(statistics.median(seg.card.metrics["best_epoch"] for seg in networks.values()))
