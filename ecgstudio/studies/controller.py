"""Wires reading studies into the main window: a "Reading studies" dock, blinding of the annotation panel,
record navigation, adjudication, and "fine-tune on this study's consensus" through the jobs dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QDialog, QProgressDialog

from ecgstudio.annotations.keys import record_key
from ecgstudio.jobs.spec import FOLDER, JobSpec
from ecgstudio.library import record_key as library_key
from ecgstudio.store.errors import LibraryError
from ecgstudio.studies.adjudication_view import AdjudicationDialog
from ecgstudio.studies.new_study_dialog import NewStudyDialog
from ecgstudio.studies.panel import StudiesPanel
from ecgstudio.studies.store import Study, StudyError, StudyStore
from training.checkpoint import load_card
from training.data import read_record
from training.data.labels import get_label_set
from training.errors import ECGError


class StudiesController(QObject):
    def __init__(self, window, annotations, jobs=None):
        super().__init__(window)
        self.window, self.annotations, self.jobs = window, annotations, jobs
        self.store = StudyStore(annotations.store.db)
        self.panel = StudiesPanel(self.store, annotations.panel.author)
        self.dock = window.add_panel("Reading studies", "studiesDock", self.panel, Qt.RightDockWidgetArea)
        self.dock.hide()
        self.adjudication: AdjudicationDialog | None = None
        self.panel.blindingChanged.connect(annotations.panel.set_blinded)
        self.panel.openRecord.connect(self.open_record)
        self.panel.newStudyRequested.connect(self.new_study)
        self.panel.adjudicateRequested.connect(self.adjudicate)
        self.panel.fineTuneRequested.connect(self.fine_tune)
        window.context.identity.changed.connect(self.panel.set_reader)
        window.context.recordChanged.connect(
            lambda opened: self.panel.set_current_record(opened.content_key if opened else None))
        menu = window.menu("&Studies")
        menu.addAction(self.dock.toggleViewAction())
        menu.addAction("&New reading study…", self.new_study)

    def open_record(self, key: str) -> None:
        """Show a study record in the window: select it in the list, or open its folder first."""
        rows = self.store.db.query("SELECT path FROM ann_record_paths WHERE record_key = ? ORDER BY seen_at DESC",
                                   (key,))
        if not rows:
            self.panel._say(f"record {key[:12]}… has no known file on this workstation", error=True)
            return
        path = Path(rows[0][0])
        if not self.window.library.select_key(library_key(path)):
            self.window.open_path(path.parent, select_key=library_key(path))

    def create_from_folder(self, name: str, folder: Path, labels: list[str], readers: list[str]) -> Study:
        """Read each record under ``folder`` once (its key is its samples' hash) and make the study of them."""
        headers = sorted(folder.rglob("*.hea"))
        progress = QProgressDialog("Reading the study's records…", "Cancel", 0, len(headers), self.window)
        progress.setWindowModality(Qt.WindowModal)
        keys = []
        for i, header in enumerate(headers):
            progress.setValue(i)
            QApplication.processEvents()
            if progress.wasCanceled():
                raise StudyError("cancelled")
            try:
                record = read_record(header)
            except ECGError:
                continue  # a broken record is simply not part of the study; the library list shows why
            keys.append(record_key(record))
            self.annotations.store.register_record(keys[-1], record)
        progress.setValue(len(headers))
        return self.store.create(name, keys, labels, readers, self.annotations.panel.author or "unknown")

    def new_study(self) -> None:
        folder = str(self.window.context.settings.value("library/folder", ""))
        dialog = NewStudyDialog(self.annotations.store.vocabulary(), folder, self.window)
        if dialog.exec() != QDialog.Accepted:
            return
        try:
            study = self.create_from_folder(*dialog.values())
        except (StudyError, LibraryError) as exc:
            self.panel._say(getattr(exc, "reason", None) or str(exc), error=True)
            return
        self.dock.show()
        self.panel.reload(select=study.id)

    def adjudicate(self, study: Study) -> AdjudicationDialog | None:
        try:  # before unblinding: a reader of a blinded study must not see the others' labels this way
            self.store.require_unblinded(study, self.annotations.panel.author)
        except StudyError as exc:
            self.panel._say(str(exc), error=True)
            return None
        self.panel.blind.setChecked(False)  # an adjudicator sees every reader's labels on the ECG
        self.adjudication = AdjudicationDialog(self.store, study, self.annotations.panel.author, self.window)
        self.adjudication.openRecord.connect(self.open_record)
        self.adjudication.decided.connect(self.panel.refresh)
        self.adjudication.show()
        self.adjudication.reload()  # shows the first disagreement's record, now that the window listens
        return self.adjudication

    def fine_tune(self, study: Study):
        """Export the consensus as a dataset folder and open the training dialog on it, as a fine-tune."""
        folder = self.store.db.workdir / "studies" / f"study-{study.id}-consensus"
        try:
            self.store.export_consensus(study, folder, self.annotations.panel.author)
        except (StudyError, LibraryError, OSError) as exc:
            self.panel._say(getattr(exc, "reason", None) or str(exc), error=True)
            return None
        if self.jobs is None:
            self.panel._say(f"Consensus written to {folder}; training is unavailable in this window.", error=True)
            return None
        ptbxl = set(get_label_set("ptbxl-superclass").classes)
        from training.config import RunConfig  # loads torch: only when a fine-tune is asked for

        config = RunConfig(name=f"{study.name}-consensus").to_dict()
        models = self.jobs.library.models() if self.jobs.library is not None else []
        if models:  # the parent's recipe keeps its input contract (architecture, rate, window, leads)
            parent = str(getattr(models[0], "path", models[0]))
            config = {**load_card(parent).config, "name": f"{study.name}-consensus",
                      "finetune": {"parent": parent, "mode": "head"}}
            config.pop("output", None)
        label_set = config["data"].get("label_set") or ("ptbxl-superclass" if set(study.vocabulary) <= ptbxl
                                                        else "cinc-scored")
        config["data"] = {**config["data"], "path": str(folder), "kind": "auto", "label_set": label_set}
        return self.jobs.open_dialog(JobSpec(config, source=FOLDER, title=f"Fine-tune on {study.name} consensus"))


def attach_studies(window, annotations, jobs=None) -> StudiesController | None:
    """Reading studies need the annotation library; without it (it failed to open) there are none.

    Plugs in through the host interface and context (``ecgstudio.host``): a panel, a menu, the open
    record's content key and the identity."""
    if annotations is None:
        return None
    return StudiesController(window, annotations, jobs)
