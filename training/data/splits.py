"""Patient-wise, label-stratified train/validation/test splits for folders without official folds.

No patient may appear in two splits (a model would otherwise be scored on the person it learned).
Groups of records are assigned greedily, rarest labels first, to the split that most lacks that label
(iterative stratification, Sechidis et al. 2011, applied to patient groups instead of single records).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from training.errors import ConfigError

SPLITS = ("train", "val", "test")


def patient_split(patients: Sequence[str], targets: np.ndarray,
                  fractions: tuple[float, float, float] = (0.7, 0.15, 0.15), seed: int = 0) -> np.ndarray:
    """Assign each record to ``train``/``val``/``test``; returns an array of split names.

    ``targets`` is multi-hot ``[records, classes]``. Deterministic for a given ``seed``.
    """
    frac = np.asarray(fractions, dtype=float)
    if frac.shape != (3,) or np.any(frac < 0) or not np.isclose(frac.sum(), 1.0):
        raise ConfigError("split.fractions", f"need three non-negative fractions summing to 1, got {fractions}")
    targets = np.asarray(targets, dtype=float)
    if len(patients) != len(targets):
        raise ConfigError("split", f"{len(patients)} patients for {len(targets)} targets")
    rng = np.random.default_rng(seed)
    groups: dict[str, list[int]] = {}
    for i, patient in enumerate(patients):
        groups.setdefault(str(patient), []).append(i)
    names = list(groups)
    rng.shuffle(names)

    label_totals = targets.sum(axis=0)
    want_labels = frac[:, None] * label_totals[None, :]
    want_records = frac * len(targets)
    group_labels = {g: targets[groups[g]].sum(axis=0) for g in names}

    def rarity(g: str) -> float:
        present = group_labels[g] > 0
        return float(label_totals[present].min()) if present.any() else np.inf

    out = np.empty(len(targets), dtype=object)
    for g in sorted(names, key=rarity):  # stable sort keeps the seeded shuffle among equals
        counts = group_labels[g]
        if (counts > 0).any():
            rarest = int(np.argmin(np.where(counts > 0, label_totals, np.inf)))
            need = want_labels[:, rarest]
        else:
            need = want_records
        best = max(range(3), key=lambda s: (need[s], want_records[s], -s))
        out[groups[g]] = SPLITS[best]
        want_labels[best] -= counts
        want_records[best] -= len(groups[g])
    return out.astype(str)
