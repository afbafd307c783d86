""""Train / fine-tune…": the form that turns a researcher's choices into a :class:`JobSpec`.

Nothing starts until :func:`validate_spec` finds no problem; each problem is shown under its field.
Values the form does not show (a preset's band-pass, options of a retried job) are kept from the config
the dialog was opened with, so opening and accepting never loses part of a recipe.

A fine-tune inherits its architecture and input contract (rate, leads, window, band-pass, normalisation)
from the parent model's card: those fields show the parent's values and are locked, so a researcher
picks only the parent, the data, the label set, head-only or full, epochs and learning rate. The last
job started is remembered in the settings and fills the form the next time it opens.
"""

from __future__ import annotations

import copy
from typing import Callable

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from ecgstudio.jobs.fields import ERROR_STYLE, ChecklistBox, Field, LeadsBox, row
from ecgstudio.jobs.presets import PRESETS, apply_preset
from ecgstudio.jobs.spec import ANNOTATIONS, FIT, FOLDER, HPO, JobSpec, validate_spec
from training.augment import augmentation_names
from training.checkpoint import ModelCard, load_card
from training.config import RunConfig
from training.data.labels import label_set_names
from training.errors import ECGError
from training.finetune_contract import inherit_parent
from training.losses import loss_names
from training.metrics import HIGHER_IS_BETTER
from training.models import model_names
from training.signal.normalize import NORMALIZATIONS

#: (label shown, data source, engine data kind)
SOURCES = (("PTB-XL folder", FOLDER, "ptbxl"), ("CinC-style folder (.hea with #Dx)", FOLDER, "cinc"),
           ("Records labelled in this library", ANNOTATIONS, "auto"),
           ("Dataset with manifest.csv (e.g. a reading study's consensus)", FOLDER, "auto"))
#: QSettings key of the last job started from the dialog (a JobSpec as JSON)
LAST_JOB_KEY = "jobs/last_spec"


def remembered_spec(settings: QSettings | None) -> JobSpec | None:
    """The job last started from the dialog, or None (never saved, or unreadable: the defaults apply)."""
    text = settings.value(LAST_JOB_KEY, "") if settings is not None else ""
    try:
        return JobSpec.from_json(str(text)) if text else None
    except (ValueError, TypeError):
        return None


class JobDialog(QDialog):
    #: a valid job the user asked to start
    submitted = Signal(object)

    def __init__(self, parent: QWidget | None = None, models: list[tuple[str, str]] = (),
                 annotated_records: Callable[[], int] = lambda: 0, devices: list[tuple[str, str]] = (),
                 spec: JobSpec | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.setWindowTitle("Train / fine-tune a model")
        self._annotated_records = annotated_records
        self._settings = settings
        spec = spec or remembered_spec(settings)
        self._base = spec.config if spec else RunConfig(name="ecg-model").to_dict()
        self._cards: dict[str, ModelCard | None] = {}
        self.fields: dict[str, Field] = {}
        self._build(models, [("auto (GPU if present)", "auto"), ("CPU", "cpu"), *devices])
        self.set_spec(spec or JobSpec(self._base))

    # ------------------------------------------------------------------ construction
    def _build(self, models: list[tuple[str, str]], devices: list[tuple[str, str]]) -> None:
        self.preset = QComboBox()
        self.preset.addItem("— choose a recipe —")
        self.preset.addItems(list(PRESETS))
        self.preset.activated.connect(lambda i: i > 0 and self.apply_preset(self.preset.currentText()))
        self.kind = QComboBox()
        self.kind.addItem("Train one model", FIT)
        self.kind.addItem("Hyperparameter search (Optuna)", HPO)
        self.trials = QSpinBox(minimum=1, maximum=10_000, value=20, suffix=" trials")
        self.storage = QLineEdit(placeholderText="optional study storage, e.g. sqlite:///study.db")
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.name = QLineEdit()

        self.source = QComboBox()
        for text, _source, _kind in SOURCES:
            self.source.addItem(text)
        self.path = QLineEdit(placeholderText="dataset folder")
        browse = QPushButton("Browse…", clicked=self._browse_data)
        self.source.currentIndexChanged.connect(lambda _i: self._source_changed(browse))
        self.label_set = QComboBox()
        self.label_set.addItems(label_set_names())
        self.split_seed = QSpinBox(minimum=0, maximum=1_000_000)

        self.arch = QComboBox()
        self.arch.addItems(model_names())
        self.width = QSpinBox(minimum=0, maximum=1024, specialValueText="default")
        self.finetune = QCheckBox("Start from a trained model")
        self.parent_model = QComboBox(editable=True)
        for name, path in models:
            self.parent_model.addItem(name, path)
        self.parent_model.setCurrentText("")
        self.mode = QComboBox()
        self.mode.addItem("head only (backbone frozen)", "head")
        self.mode.addItem("full network", "full")
        self.backbone_scale = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=3, value=0.1)
        self.finetune.toggled.connect(self._finetune_changed)
        self.parent_model.currentTextChanged.connect(lambda _t: self._parent_changed())
        self.label_set.currentTextChanged.connect(lambda _t: self._parent_changed())
        self.inherited = QLabel(wordWrap=True)
        self.inherited.setStyleSheet("color: #52606d; font-size: 11px;")

        self.epochs = QSpinBox(minimum=1, maximum=10_000)
        self.batch = QSpinBox(minimum=1, maximum=4096)
        self.lr = QLineEdit()
        self.loss = QComboBox()
        self.loss.addItems(loss_names())
        self.augment = ChecklistBox(augmentation_names())
        self.normalization = QComboBox()
        self.normalization.addItems(["none", *NORMALIZATIONS])
        self.fs = QDoubleSpinBox(minimum=1.0, maximum=10_000.0, decimals=0, suffix=" Hz")
        self.seconds = QDoubleSpinBox(minimum=0.1, maximum=600.0, decimals=1, suffix=" s")
        self.leads = LeadsBox()
        self.monitor = QComboBox()
        self.monitor.addItems(["loss", *sorted(HIGHER_IS_BETTER)])
        self.patience = QSpinBox(minimum=0, maximum=10_000, specialValueText="off")
        self.device = QComboBox()
        for text, value in devices:
            self.device.addItem(text, value)

        job = self._group("Job", [("Recipe", "preset", self.preset), ("Type", "kind", self.kind),
                                  ("Search", "trials", row(self.trials, self.storage, stretch_last=True)),
                                  ("Model name", "name", self.name), ("Device", "device", self.device)])
        data = self._group("Data", [
            ("Source", "source", self.source), ("Folder", "data.path", row(self.path, browse, stretch_last=True)),
            ("Task (labels)", "data.label_set", self.label_set),
            ("Split seed", "data.split_seed", self.split_seed,
             "validation split: PTB-XL keeps its official folds; other data get a seeded patient-wise 70/15/15"),
            ("Leads", "data.leads", self.leads), ("Sampling rate", "data.fs", self.fs),
            ("Window", "data.seconds", self.seconds), ("Normalisation", "data.normalization", self.normalization)])
        model = self._group("Model", [
            ("Architecture", "model.name", self.arch), ("Width", "model.options", self.width),
            ("", "finetune", self.finetune), ("Pretrained", "finetune.parent", self.parent_model),
            ("Fine-tune", "finetune.mode", row(self.mode, QLabel("backbone LR ×"), self.backbone_scale)),
            ("", "finetune.inherited", self.inherited)])
        train = self._group("Training", [
            ("Epochs", "train.epochs", self.epochs), ("Batch size", "train.batch_size", self.batch),
            ("Learning rate", "optim.lr", self.lr), ("Loss", "loss.name", self.loss),
            ("Augmentations", "augment", self.augment), ("Early stop on", "train.monitor", self.monitor),
            ("Patience", "train.patience", self.patience)])
        self.general_error = QLabel(wordWrap=True)
        self.general_error.setStyleSheet(ERROR_STYLE)
        buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.start_button = buttons.addButton("Start", QDialogButtonBox.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        columns = QHBoxLayout()
        for groups in ((job, data), (model, train)):
            column = QVBoxLayout()
            for group in groups:
                column.addWidget(group)
            column.addStretch(1)
            columns.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.general_error)
        layout.addWidget(buttons)
        self._source_changed(browse)

    def _group(self, title: str, rows: list[tuple]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        for label, key, editor, *hint in rows:
            self.fields[key] = Field(editor, hint[0] if hint else "")
            form.addRow(label, self.fields[key])
        return box

    # ------------------------------------------------------------------ values
    def set_spec(self, spec: JobSpec) -> None:
        """Fill the form from a job (a retry, a preset, or the defaults)."""
        self._base = copy.deepcopy(spec.config)
        c = self._base
        data, train = c.get("data", {}), c.get("train", {})
        self.kind.setCurrentIndex(self.kind.findData(spec.kind))
        self.trials.setValue(int(spec.trials))
        self.storage.setText(spec.storage)
        self.name.setText(c.get("name", "ecg-model"))
        self.device.setCurrentIndex(max(self.device.findData(c.get("device", "auto")), 0))
        source = next((i for i, (_t, s, k) in enumerate(SOURCES)
                       if s == spec.source and (s == ANNOTATIONS or k == data.get("kind"))), 0)
        self.source.setCurrentIndex(source)
        self.path.setText("" if spec.source == ANNOTATIONS else data.get("path", ""))
        self.label_set.setCurrentText(data.get("label_set", "ptbxl-superclass"))
        self.split_seed.setValue(int(data.get("split_seed", 0)))
        self.leads.set_leads(list(data.get("leads", [])))
        self.fs.setValue(float(data.get("fs", 100.0)))
        self.seconds.setValue(float(data.get("seconds", 10.0)))
        self.normalization.setCurrentText(data.get("normalization", "zscore"))
        self.arch.setCurrentText(c.get("model", {}).get("name", "resnet1d18"))
        self.width.setValue(int(c.get("model", {}).get("options", {}).get("width", 0)))
        finetune = c.get("finetune") or {}
        self.finetune.setChecked(bool(finetune))
        self.parent_model.setCurrentText(str(finetune.get("parent", "")))
        self.mode.setCurrentIndex(max(self.mode.findData(finetune.get("mode", "head")), 0))
        self.backbone_scale.setValue(float(finetune.get("backbone_lr_scale", 0.1)))
        self._finetune_changed(bool(finetune))
        self.epochs.setValue(int(train.get("epochs", 30)))
        self.batch.setValue(int(train.get("batch_size", 32)))
        self.monitor.setCurrentText(train.get("monitor", "auroc_macro"))
        self.patience.setValue(int(train.get("patience", 10)))
        self.lr.setText(f"{c.get('optim', {}).get('lr', 1e-3):g}")
        self.loss.setCurrentText(c.get("loss", {}).get("name", "focal"))
        self.augment.set_checked([a.get("name") for a in c.get("augment", [])])
        self._parent_changed()

    def spec(self) -> JobSpec:
        """The job the form describes now (not yet validated)."""
        c = copy.deepcopy(self._base)
        c["name"] = self.name.text().strip()
        c["device"] = self.device.currentData()
        _text, source, kind = SOURCES[self.source.currentIndex()]
        c["data"] = {**c.get("data", {}), "path": self.path.text().strip(), "kind": kind,
                     "label_set": self.label_set.currentText(), "split_seed": self.split_seed.value(),
                     "leads": self.leads.leads(), "fs": self.fs.value(), "seconds": self.seconds.value(),
                     "normalization": self.normalization.currentText()}
        options = {k: v for k, v in c.get("model", {}).get("options", {}).items() if k != "width"}
        if self.width.value():
            options["width"] = self.width.value()
        c["model"] = {"name": self.arch.currentText(), "options": options}
        c["train"] = {**c.get("train", {}), "epochs": self.epochs.value(), "batch_size": self.batch.value(),
                      "monitor": self.monitor.currentText(), "patience": self.patience.value()}
        c["optim"] = {**c.get("optim", {}), "lr": _number(self.lr.text())}
        c["loss"] = {**c.get("loss", {}), "name": self.loss.currentText()}
        kept = {a["name"]: a for a in c.get("augment", [])}  # keep options of augmentations still ticked
        c["augment"] = [kept.get(name, {"name": name}) for name in self.augment.checked()]
        c.pop("finetune", None)
        if self.finetune.isChecked():
            text = self.parent_model.currentText().strip()
            listed = self.parent_model.findText(text)  # a library model shows its name; its data is the path
            c["finetune"] = {"parent": self.parent_model.itemData(listed) if listed >= 0 else text,
                             "mode": self.mode.currentData(), "backbone_lr_scale": self.backbone_scale.value()}
            card = self._parent_card()
            if card is not None:  # unreadable: validation names the parent's problem
                c = inherit_parent(c, card)
        title = f"{'HPO' if self.kind.currentData() == HPO else 'Train'} {c['name']} ({c['model']['name']})"
        return JobSpec(c, self.kind.currentData(), source, self.trials.value(), self.storage.text().strip(), title)

    def apply_preset(self, name: str) -> None:
        spec = self.spec()
        spec.config = apply_preset(spec.config, name)
        self.set_spec(spec)

    # ------------------------------------------------------------------ validation
    def validate(self) -> bool:
        """Show every problem beside its field; True when the job may start."""
        spec = self.spec()
        count = self._annotated_records() if spec.source == ANNOTATIONS else 0
        problems = validate_spec(spec, count).by_field
        if isinstance(spec.config["optim"]["lr"], str):
            problems["optim.lr"] = f"not a number: {spec.config['optim']['lr']!r} (e.g. 0.001 or 1e-3)"
        general = []
        for key, message in problems.items():
            target = next((k for k in (key, key.split("[")[0]) if k in self.fields), None)
            if target is None:
                general.append(f"{key}: {message}")
        for key, widget in self.fields.items():
            widget.set_error(problems.get(key, "") or next(
                (m for k, m in problems.items() if k.split("[")[0] == key and k != key), ""))
        self.general_error.setText("\n".join(general))
        return not problems

    def accept(self) -> None:
        if self.validate():
            spec = self.spec()
            if self._settings is not None:
                self._settings.setValue(LAST_JOB_KEY, spec.to_json())
            self.submitted.emit(spec)
            super().accept()

    # ------------------------------------------------------------------ reactions
    def _kind_changed(self) -> None:
        self.fields["trials"].setEnabled(self.kind.currentData() == HPO)

    def _source_changed(self, browse: QPushButton) -> None:
        from_library = SOURCES[self.source.currentIndex()][1] == ANNOTATIONS
        self.path.setEnabled(not from_library)
        browse.setEnabled(not from_library)
        self.path.setPlaceholderText("the labelled records are exported when the job starts" if from_library
                                     else "dataset folder")
        self._kind_changed()

    def _finetune_changed(self, on: bool) -> None:
        for key in ("finetune.parent", "finetune.mode"):
            self.fields[key].setEnabled(on)
        self._parent_changed()

    def _parent_path(self) -> str:
        text = self.parent_model.currentText().strip()
        listed = self.parent_model.findText(text)
        return str(self.parent_model.itemData(listed)) if listed >= 0 else text

    def _parent_card(self) -> ModelCard | None:
        """The chosen parent's card (read once per path), or None when there is none or it is unreadable."""
        path = self._parent_path() if self.finetune.isChecked() else ""
        if not path:
            return None
        if path not in self._cards:
            try:
                self._cards[path] = load_card(path)
            except ECGError:
                self._cards[path] = None
        return self._cards[path]

    def _parent_changed(self) -> None:
        """Show the parent's architecture and input contract in the fields it fixes, and lock them."""
        card = self._parent_card()
        for key in ("model.name", "model.options", "data.fs", "data.seconds", "data.leads", "data.normalization"):
            self.fields[key].setEnabled(card is None)
        self.fields["finetune.inherited"].setVisible(self.finetune.isChecked())
        if card is None:
            self.inherited.setText("Choose the trained model to start from; its architecture and input "
                                   "settings are taken from it." if self.finetune.isChecked() else "")
            return
        self.arch.setCurrentText(card.architecture)
        self.width.setValue(int(card.model_options.get("width", 0)))
        self.fs.setValue(float(card.fs))
        self.seconds.setValue(card.input_length / float(card.fs))
        self.leads.set_leads(list(card.leads))
        config = inherit_parent({}, card)
        self.normalization.setCurrentText(config["data"]["normalization"])
        options = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}"
                            for k, v in card.model_options.items()) or "default options"
        band = config["data"]["band"]
        text = (f"From the parent: {card.architecture} ({options}), {card.fs:g} Hz, "
                f"{card.input_length / card.fs:g} s, {len(card.leads)} leads, "
                f"{f'{band[0]:g}–{band[1]:g} Hz' if band else 'no band-pass'}, {config['data']['normalization']}.")
        parent_labels = card.label_set.get("name")
        if parent_labels != self.label_set.currentText():
            text += (f" The parent predicts {parent_labels}; a new head is built for "
                     f"{self.label_set.currentText()}.")
        self.inherited.setText(text)

    def _browse_data(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder", self.path.text())
        if folder:
            self.path.setText(folder)


def _number(text: str) -> float | str:
    """The float typed, or the text itself so validation can name it."""
    try:
        return float(text.strip())
    except ValueError:
        return text.strip()

