"""Cohort comparison on a SYNTHETIC demo cohort of real PTB-XL records with the real bundled model: the
window (table, ROC, skipped records, banner, export) and the ``python -m training cohort`` command."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ecgstudio.models.library import ModelLibrary
from ecgstudio.pe.cohort_view import CohortView
from training.cli import main

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "resources" / "models" / "ptbxl_superclass_resnet1d18"


@pytest.fixture
def records(ptbxl_root) -> list[Path]:
    return sorted((ptbxl_root / "records100" / "00000").glob("*.hea"))[:20]


def _add_unreadable_patient(cohort: Path) -> None:
    with cohort.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with cohort.open("a", newline="", encoding="utf-8") as fh:
        csv.DictWriter(fh, fieldnames=list(rows[0])).writerow({**rows[0], "record": "no_such_record.hea"})


def test_cohort_view_runs_the_real_model_and_exports(qtbot, records, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue("models/user_dir", str(tmp_path / "user_models"))
    models = ModelLibrary(settings, bundled_dir=MODEL.parent)
    view = CohortView(settings, models, records=lambda: records)
    qtbot.addWidget(view)
    view.show()
    cohort = view.generate_demo(tmp_path / "cohort", seed=3)
    assert cohort.name == "SYNTHETIC_demo_cohort_seed3.csv"
    assert view.banner.isVisible() and "SYNTHETIC" in view.banner.text()
    _add_unreadable_patient(cohort)
    view.set_cohort(cohort)
    view.class_box.setCurrentIndex(view.class_box.findData("MI"))
    assert "not pulmonary embolism" in view.notes["class"].text()
    view.boot.setValue(200)
    with qtbot.waitSignal(view.finished, timeout=60000) as done:
        assert view.start()
    run = done.args[0]
    assert run.failures and run.failures[0].record == "no_such_record.hea"
    assert view.tables.metrics.rowCount() == len(run.comparison.rows) >= 5
    assert view.tables.metrics.item(1, 0).text() == "Wells two-tier"
    assert "(" in view.tables.metrics.item(0, 1).text()  # value (low-high)
    assert view.tables.mcnemar.rowCount() > 0 and view.tables.auc_tests.rowCount() == 5  # 4 rules + the Daniel ECG score
    assert view.tables.skipped.rowCount() == 1
    names = [item.name() for item in view.roc.listDataItems()]
    assert {"chance", "Wells two-tier", "Wells three-tier", "PEGeD", "YEARS", "Daniel ECG score",
            "Daniel ECG >= 10", "Daniel ECG > 5"} <= set(names)
    assert any(n.startswith("model (AUC") for n in names)
    assert view.banner.isVisible()
    view.grab().save(str(tmp_path / "cohort_view.png"))

    csv_path, html_path = view.export(tmp_path / "reports")
    assert csv_path.name == "SYNTHETIC_cohort_comparison_MI.csv" and csv_path.is_file()
    assert "SYNTHETIC DEMO COHORT" in html_path.read_text(encoding="utf-8")


def test_bad_cohort_file_is_reported_beside_the_field(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    bad = tmp_path / "cohort.csv"
    bad.write_text("record,pe_confirmed\nx.hea,1\n", encoding="utf-8")
    view = CohortView(settings, None)
    qtbot.addWidget(view)
    view.set_cohort(bad)
    assert "missing column" in view.notes["cohort"].text()
    assert not view.run_button.isEnabled() and "no model" in view.notes["model"].text()


def test_cli_demo_cohort_then_cohort_writes_csv_and_html(records, tmp_path, capsys):
    folder = tmp_path / "records"
    folder.mkdir()
    for header in records[:14]:
        for part in (header, header.with_suffix(".dat")):
            (folder / part.name).symlink_to(part)
    assert main(["demo-cohort", "--records", str(folder), "--out", str(tmp_path), "--seed", "5"]) == 0
    cohort = tmp_path / "SYNTHETIC_demo_cohort_seed5.csv"
    assert cohort.is_file()
    out = tmp_path / "out"
    assert main(["cohort", "--cohort", str(cohort), "--model", str(MODEL), "--class", "STTC", "--out", str(out),
                 "--boot", "100", "--seed", "1", "--device", "cpu", "--progress", "plain"]) == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC" in printed and "Wells two-tier" in printed
    assert (out / "SYNTHETIC_cohort_comparison_STTC.csv").is_file()
    assert "YEARS" in (out / "SYNTHETIC_cohort_comparison_STTC.html").read_text(encoding="utf-8")
    assert main(["cohort", "--cohort", str(cohort), "--model", str(MODEL), "--class", "PE", "--out", str(out),
                 "--device", "cpu", "--progress", "plain"]) == 2
    assert "no class 'PE'" in capsys.readouterr().err
