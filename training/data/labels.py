"""Diagnosis codes, their human-readable names, and the label sets models are trained on.

A :class:`LabelSet` is data: the class ids in output order, their display names, and which raw codes
(SNOMED-CT, CPSC abbreviations, PTB-XL scp codes) count as each class. Equivalent SNOMED codes are
merged exactly as the PhysioNet/CinC 2021 challenge scores them (``weights.csv`` column groups).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Iterable, Mapping

import numpy as np

from training.errors import ConfigError

_MAPS = resources.files("training.data") / "label_maps"

#: CPSC2018's nine classes as its early release writes them in ``#Dx``, with their SNOMED-CT codes.
#: PVC is 427172004 in the 2021 map and 164884008 ("ventricular ectopics") in the 2020 map.
CPSC2018_CLASSES: dict[str, tuple[str, ...]] = {
    "Normal": ("426783006",),
    "AF": ("164889003",),
    "I-AVB": ("270492004",),
    "LBBB": ("164909002", "733534002"),
    "RBBB": ("59118001", "713427006"),
    "PAC": ("284470004", "63593006"),
    "PVC": ("427172004", "17338001", "164884008"),
    "STD": ("429622005",),
    "STE": ("164931005",),
}
_CPSC_NAMES = {
    "Normal": "normal sinus rhythm", "AF": "atrial fibrillation", "I-AVB": "1st degree AV block",
    "LBBB": "left bundle branch block", "RBBB": "right bundle branch block",
    "PAC": "premature atrial contraction", "PVC": "premature ventricular contraction",
    "STD": "ST depression", "STE": "ST elevation",
}

PTBXL_SUPERCLASSES = ("NORM", "MI", "STTC", "CD", "HYP")
_PTBXL_SUPER_NAMES = {
    "NORM": "normal ECG", "MI": "myocardial infarction", "STTC": "ST/T change",
    "CD": "conduction disturbance", "HYP": "hypertrophy",
}


def _rows(name: str) -> list[dict[str, str]]:
    with (_MAPS / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def snomed_table() -> dict[str, tuple[str, str]]:
    """SNOMED-CT code -> (abbreviation, description) for every code the challenge maps list."""
    table = {}
    for name in ("dx_mapping_scored.csv", "dx_mapping_unscored.csv"):
        for row in _rows(name):
            table[row["SNOMEDCTCode"].strip()] = (row["Abbreviation"].strip(), row["Dx"].strip())
    return table


@cache
def ptbxl_statements() -> dict[str, dict[str, str]]:
    """PTB-XL scp code -> its row of ``scp_statements.csv`` (description, diagnostic_class...)."""
    return {row[""].strip(): row for row in _rows("ptbxl_scp_statements.csv")}


def describe_code(code: str) -> str:
    """A human-readable name for a SNOMED code, CPSC abbreviation or PTB-XL scp code.

    Unknown codes come back unchanged so nothing a header says is hidden from the user.
    """
    code = code.strip()
    if code in snomed_table():
        abbrev, text = snomed_table()[code]
        return f"{text} ({abbrev})"
    if code in _CPSC_NAMES:
        return f"{_CPSC_NAMES[code]} ({code})"
    if code in _PTBXL_SUPER_NAMES:
        return f"{_PTBXL_SUPER_NAMES[code]} ({code})"
    statement = ptbxl_statements().get(code)
    if statement:
        return f"{statement['description']} ({code})"
    return code


@dataclass(frozen=True)
class LabelSet:
    """The classes of a task, in model output order, and the raw codes that count as each."""

    name: str
    classes: tuple[str, ...]
    display: tuple[str, ...]
    aliases: Mapping[str, str]

    def __post_init__(self) -> None:
        unknown = set(self.aliases.values()) - set(self.classes)
        if unknown:
            raise ConfigError(f"label_set.{self.name}", f"aliases point at unknown classes {sorted(unknown)}")

    def classes_of(self, codes: Iterable[str]) -> list[str]:
        """The classes (in class order) that any of ``codes`` maps to; unmapped codes are ignored."""
        hit = {self.aliases[c.strip()] for c in codes if c.strip() in self.aliases}
        return [c for c in self.classes if c in hit]

    def encode(self, codes: Iterable[str]) -> np.ndarray:
        """Multi-hot float32 target of length ``len(classes)``."""
        hit = set(self.classes_of(codes))
        return np.array([c in hit for c in self.classes], dtype=np.float32)

    def to_dict(self) -> dict:
        return {"name": self.name, "classes": list(self.classes), "display": list(self.display),
                "aliases": dict(self.aliases)}

    @classmethod
    def from_dict(cls, data: dict) -> "LabelSet":
        return cls(data["name"], tuple(data["classes"]), tuple(data["display"]), dict(data["aliases"]))


def _cinc_scored() -> LabelSet:
    """The 26 scored challenge classes; a class id joins equivalent codes with ``|`` (weights.csv)."""
    with (_MAPS / "weights.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))[1:]
    classes = tuple(col.strip() for col in header)
    aliases = {code: cls for cls in classes for code in cls.split("|")}
    display = tuple(" / ".join(describe_code(code) for code in cls.split("|")) for cls in classes)
    return LabelSet("cinc-scored", classes, display, aliases)


def _cpsc2018() -> LabelSet:
    aliases = {abbrev: abbrev for abbrev in CPSC2018_CLASSES}
    aliases.update({code: abbrev for abbrev, codes in CPSC2018_CLASSES.items() for code in codes})
    classes = tuple(CPSC2018_CLASSES)
    return LabelSet("cpsc2018", classes, tuple(_CPSC_NAMES[c] for c in classes), aliases)


def _ptbxl_superclass() -> LabelSet:
    aliases = {code: row["diagnostic_class"] for code, row in ptbxl_statements().items()
               if row.get("diagnostic", "").strip() in {"1", "1.0"} and row["diagnostic_class"]}
    aliases.update({c: c for c in PTBXL_SUPERCLASSES})
    return LabelSet("ptbxl-superclass", PTBXL_SUPERCLASSES,
                    tuple(_PTBXL_SUPER_NAMES[c] for c in PTBXL_SUPERCLASSES), aliases)


_LABEL_SETS = {"ptbxl-superclass": _ptbxl_superclass, "cinc-scored": _cinc_scored, "cpsc2018": _cpsc2018}


def label_set_names() -> list[str]:
    return sorted(_LABEL_SETS)


@cache
def get_label_set(name: str) -> LabelSet:
    """A registered label set by name (see :func:`label_set_names`)."""
    try:
        return _LABEL_SETS[name]()
    except KeyError:
        raise ConfigError("label_set", f"unknown label set {name!r}; known: {', '.join(label_set_names())}") from None
