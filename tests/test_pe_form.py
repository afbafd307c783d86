"""The PE form beside the record: fill, save, reopen in a new window; bad D-dimer refused; HR from the ECG."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ecgstudio.annotations.keys import record_key
from ecgstudio.inference import attach_inference
from ecgstudio.main_window import MainWindow
from ecgstudio.models.library import ModelLibrary
from ecgstudio.pe.controller import attach_pe
from ecgstudio.pe.form import HR_ECG_CONFIRMED
from training.signal.rpeaks import mean_heart_rate

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(tmp_path) -> QSettings:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue("annotations/author", "dr.test")
    settings.setValue("models/user_dir", str(tmp_path / "user_models"))
    return settings


@pytest.fixture
def record_path(ptbxl_root) -> Path:
    return ptbxl_root / "records100" / "00000" / "00001_lr.hea"


def _open(qtbot, settings, record_path: Path, library: Path, inference=False):
    window = MainWindow(settings)
    qtbot.addWidget(window)
    models = ModelLibrary(settings, bundled_dir=REPO / "resources" / "models", parent=window) if inference else None
    infer = attach_inference(window, models) if inference else None
    controller = attach_pe(window, library, infer, models)
    window.show()
    window.open_path(record_path)
    qtbot.waitUntil(lambda: window.record is not None and controller.panel.record_key is not None, timeout=15000)
    return window, controller, infer


def _fill(form, **answers) -> None:
    for name, yes in answers.items():
        form.choices[name].setCurrentIndex(form.choices[name].findData("yes" if yes else "no"))


def _type(edit, text: str) -> None:
    edit.setText(text)
    edit.textEdited.emit(text)


def test_filled_form_is_saved_audited_and_reopens_in_a_new_window(qtbot, settings, record_path, tmp_path):
    library = tmp_path / "library.sqlite"
    window, pe, _ = _open(qtbot, settings, record_path, library)
    form = pe.panel.form
    _fill(form, dvt_signs=False, pe_most_likely=True, immobilisation_or_surgery=False, previous_vte=True,
          haemoptysis=False, malignancy=False, unilateral_leg_swelling=False, recent_surgery_or_trauma=False,
          hormone_use=False)
    for name, text in (("heart_rate", "108"), ("age", "61"), ("sao2", "93")):
        _type(form.numbers[name], text)
    _type(form.dd_value, "0.8")
    form.dd_unit.setCurrentIndex(form.dd_unit.findData("mg/L"))
    form.dd_basis.setCurrentIndex(form.dd_basis.findData("FEU"))
    form.outcome.setCurrentIndex(form.outcome.findData("pe_excluded"))
    cards = {name: card.text() for name, card in pe.panel.rules.cards.items()}
    assert "Wells 6" in cards["Wells"] and "moderate" in cards["Wells"]
    assert "imaging needed" in cards["PEGeD"]  # moderate pretest, 800 ng/mL FEU >= 500
    assert "1 YEARS item" in cards["YEARS"]
    assert "PERC positive" in cards["PERC"] and "pretest probability is already low" in cards["PERC"]
    assert pe.panel.status.text() == "Unsaved changes"
    assert pe.panel.save()
    key = record_key(window.record)
    _type(form.numbers["sao2"], "91")
    assert pe.panel.save()
    window.close()

    again, pe2, _ = _open(qtbot, settings, record_path, library)
    stored = pe2.store.load(key)
    assert stored.updated_by == "dr.test" and stored.form.findings.sao2 == 91
    assert pe2.panel.form.numbers["sao2"].text() == "91"
    assert pe2.panel.form.dd_unit.currentData() == "mg/L" and pe2.panel.form.dd_value.text() == "0.8"
    assert pe2.panel.form.outcome.currentData() == "pe_excluded"
    assert pe2.panel.form.choices["previous_vte"].currentData() == "yes"
    assert pe2.panel.status.text().startswith("Saved by dr.test")
    history = pe2.store.history(key)
    assert [(h.action, h.actor) for h in history] == [("create", "dr.test"), ("update", "dr.test")]
    assert history[0].old is None and history[0].new["d_dimer"] == {"value": 0.8, "unit": "mg/L", "basis": "FEU"}
    assert history[1].old["sao2"] == 93 and history[1].new["sao2"] == 91
    again.close()


def test_bad_d_dimer_is_shown_beside_its_field_and_nothing_is_saved(qtbot, settings, record_path, tmp_path):
    window, pe, _ = _open(qtbot, settings, record_path, tmp_path / "library.sqlite")
    form, key = pe.panel.form, record_key(window.record)
    _type(form.dd_value, "500")  # no unit, no basis
    assert not pe.panel.save()
    assert form.notes["d_dimer_unit"].isVisible() and "never guessed" in form.notes["d_dimer_unit"].text()
    assert form.notes["d_dimer_basis"].isVisible()
    assert not form.notes["d_dimer"].isVisible()
    form.dd_unit.setCurrentIndex(form.dd_unit.findData("ng/mL"))
    form.dd_basis.setCurrentIndex(form.dd_basis.findData("DDU"))
    _type(form.dd_value, "-3")
    assert not pe.panel.save()
    assert "cannot be negative" in form.notes["d_dimer"].text() and form.notes["d_dimer"].isVisible()
    assert not form.notes["d_dimer_unit"].isVisible()
    _type(form.numbers["sao2"], "140")
    assert not pe.panel.save()
    assert "percentage" in form.notes["sao2"].text()
    assert pe.panel.status.text().startswith("Not saved")
    assert pe.store.load(key) is None and pe.store.history(key) == []
    window.close()


def test_heart_rate_from_ecg_needs_confirmation_and_model_output_is_labelled(qtbot, settings, record_path, tmp_path):
    window, pe, inference = _open(qtbot, settings, record_path, tmp_path / "library.sqlite", inference=True)
    form = pe.panel.form
    _fill(form, dvt_signs=False, pe_most_likely=False, immobilisation_or_surgery=False, previous_vte=False,
          haemoptysis=False, malignancy=False)
    qtbot.waitUntil(lambda: window.peaks is not None, timeout=15000)
    form.hr_from_ecg.click()
    expected = mean_heart_rate(window.peaks, window.record.fs)
    assert form.numbers["heart_rate"].text() == f"{expected:.0f}"
    assert "unconfirmed" in form.notes["heart_rate"].text() and form.hr_confirm.isVisible()
    assert "cannot be computed" in pe.panel.rules.cards["Wells"].text()
    assert "heart rate" in pe.panel.rules.cards["Wells"].text()
    form.hr_confirm.click()
    assert form.notes["heart_rate"].text() == "From ECG, confirmed" and not form.hr_confirm.isVisible()
    assert "Wells 0" in pe.panel.rules.cards["Wells"].text()
    assert pe.panel.save()
    assert pe.store.load(record_key(window.record)).form.heart_rate_source == HR_ECG_CONFIRMED

    # The real model (bundled PTB-XL superclasses) runs on the record; its output is flagged as not for PE.
    model_view = pe.panel.model
    with qtbot.waitSignal(inference.predicted, timeout=30000):
        inference.run()
    assert model_view.class_box.count() == 5 and "probability of" in model_view.probability.text()
    assert model_view.warning.isVisible() and "Not validated for pulmonary embolism" in model_view.warning.text()
    assert "not trained for PE" in model_view.warning.text()
    window.close()
