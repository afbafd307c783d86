"""The delineator network (issue 17): the UNet1d family in the model registry, its model file (safetensors +
card, refused when tampered with), the LUDB targets and their decoding, and the shipped network inside
``measure``; the pacing-spike flag on LUDB's real paced and non-paced records."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest

from training.checkpoint import check_model_files, load_card, model_paths, save_model
from training.data import read_record
from training.errors import ConfigError, ModelFileError
from training.measure import measure
from training.measure.delineate import DelineationParams
from training.measure.fiducials import QRS_OFF, QRS_ON
from training.measure.reference import load_ludb_reference

torch = pytest.importorskip("torch")

from training.measure import segnet  # noqa: E402
from training.measure.train_net import example  # noqa: E402
from training.models import build_model  # noqa: E402

RULES = dataclasses.replace(DelineationParams(), network_waves=())
NETWORK = dataclasses.replace(DelineationParams(), network_waves=("P", "QRS", "T"))


@pytest.fixture(scope="module")
def ludb(shared_data):
    return shared_data / "ludb" / "data"


@pytest.fixture(scope="module")
def examples(ludb):
    out = []
    for name in ("1", "2", "3", "6"):
        record = read_record(ludb / name)
        out.append(example(record, load_ludb_reference(ludb / name, record.fs)))
    return out


@pytest.mark.parametrize("length", [37, 1000, 1003])
def test_unet_labels_every_sample_of_any_length(length):
    model = build_model("unet1d", 12, 4, width=4, levels=3).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 12, length))
    assert out.shape == (2, 4, length)
    with pytest.raises(ValueError, match="expected input"):
        model(torch.randn(2, 3, length))
    with pytest.raises(ConfigError, match="width"):
        build_model("unet1d", 12, 4, width=0)


def test_the_delineator_is_registered_apart_from_the_classifiers():
    from training.models import model_names

    assert model_names("segmentation") == ["unet1d"]
    assert "unet1d" not in model_names() and "unet1d" in model_names(None)  # the training dialog lists classifiers


def test_targets_decode_back_to_the_cardiologists_qrs(ludb, examples):
    ex = examples[-1]
    record = read_record(ludb / ex.name)
    ref = load_ludb_reference(ludb / ex.name, record.fs)
    assert set(np.unique(ex.y)) == {segnet.IGNORE, segnet.BACKGROUND, segnet.P_WAVE, segnet.QRS_WAVE, segnet.T_WAVE}
    qrs = segnet.runs(ex.y, segnet.QRS_WAVE, record.fs, 0.0)
    marked = ref.fiducials[np.isfinite(ref.fiducials[:, QRS_ON]) & np.isfinite(ref.fiducials[:, QRS_OFF])]
    assert len(qrs) == len(marked)
    assert np.abs(qrs[:, 0] - marked[:, QRS_ON]).max() <= 2  # 2 samples at 500 Hz = one 250-Hz step
    assert np.abs(qrs[:, 1] - marked[:, QRS_OFF]).max() <= 2


def test_trained_network_round_trips_through_safetensors_and_card(examples, tmp_path):
    config = segnet.SegTraining(width=4, levels=2, crop=256, batch_size=2, epochs=2, val_every=1)
    model, history, best = segnet.train(examples[:3], examples[3:], config)
    assert [row["epoch"] for row in history] == [1, 2] and "val_loss" in history[-1]
    stem = tmp_path / "net"
    save_model(stem, model, segnet.model_card(config, [e.name for e in examples[:3]], [examples[3].name], history, best))
    card = check_model_files(stem)  # the model library's torch-free check passes
    assert card.architecture == "unet1d" and tuple(card.classes) == segnet.CLASSES
    assert card.data["val_records"] == ["6"] and card.config["segmentation"]["width"] == 4
    loaded = segnet.Segmenter.load(stem)
    x = examples[3].x
    with torch.no_grad():
        expected = model.eval()(torch.from_numpy(x)[None])[0].softmax(dim=0).numpy()
    assert np.allclose(loaded.probabilities(x), expected, atol=1e-6)


def _tampered(tmp_path, examples, change):
    config = segnet.SegTraining(width=4, levels=2, crop=256, batch_size=2, epochs=1)
    model, history, best = segnet.train(examples[:2], [], config)
    stem = tmp_path / "net"
    save_model(stem, model, segnet.model_card(config, ["1", "2"], [], history, best))
    card_path = model_paths(stem)[1]
    data = json.loads(card_path.read_text())
    change(data)
    card_path.write_text(json.dumps(data))
    return stem


@pytest.mark.parametrize("change, message", [
    (lambda d: d["model_options"].update(width=8), "do not fit"),
    (lambda d: d["model_options"].update(depth=3), "no option 'depth'"),
    (lambda d: d["label_set"].update(classes=["a", "b", "c", "d"]), "not a delineator"),
    (lambda d: d.update(weights_sha256="0" * 64), "SHA-256"),
])
def test_a_tampered_delineator_card_is_refused(tmp_path, examples, change, message):
    stem = _tampered(tmp_path, examples, change)
    with pytest.raises(ModelFileError, match=message):
        segnet.Segmenter.load(stem)


def test_shipped_network_is_a_small_valid_model_file_that_measure_uses(ludb):
    path = segnet.default_network_path()
    card = check_model_files(path)
    weights = model_paths(path)[1].with_name(card.weights_file)
    assert weights.stat().st_size < 2 << 20
    assert len(card.data["train_records"]) == 160
    m = measure(read_record(ludb / "6"), NETWORK)
    assert m.quality["delineator"] == {"network": ["P", "QRS", "T"], "rules": []}
    g = m.global_
    assert None not in (g["p_ms"], g["pr_ms"], g["qrs_ms"], g["qt_ms"])
    for beat in m.beats():
        times = [beat[k] for k in ("p_on", "p_off", "qrs_on", "qrs_off", "t_on", "t_off") if beat[k] is not None]
        assert times == sorted(times), beat


def test_without_a_network_file_the_rules_measure_and_say_so(ludb, monkeypatch):
    from training.measure import engine

    monkeypatch.setattr(engine, "_shipped_segmenter", lambda: None)
    m = measure(read_record(ludb / "6"), NETWORK)
    assert "delineator" not in m.quality
    assert any("delineator network unavailable" in note for note in m.quality["notes"])
    assert m.global_["qrs_ms"] == measure(read_record(ludb / "6"), RULES).global_["qrs_ms"]


def test_records_with_few_leads_are_delineated_by_the_rules(ludb):
    record = read_record(ludb / "6")
    keep = [record.leads.index(name) for name in ("I", "II", "V1", "V5")]
    four = dataclasses.replace(record, signal=np.ascontiguousarray(record.signal[keep]),
                               leads=tuple(record.leads[i] for i in keep), units=tuple(record.units[i] for i in keep))
    m = measure(four, NETWORK)
    assert "delineator" not in m.quality and any("rules used" in n for n in m.quality["notes"])
    assert m.global_["qrs_ms"] is not None


def test_paced_rhythms_are_flagged_on_real_records_and_no_other_ludb_record_is(ludb):
    rows = {r["ID"].strip(): r for r in csv.DictReader(open(ludb.parent / "ludb.csv", encoding="utf-8"))}
    paced_ids = {k for k, r in rows.items() if (r.get("Cardiac pacing") or "").strip()}
    flagged, false_flags, names = set(), set(), sorted(p.stem for p in ludb.glob("*.hea"))
    for name in names:
        m = measure(read_record(ludb / name), RULES)
        if m.quality["paced"]:
            (flagged if name in paced_ids else false_flags).add(name)
    assert len(names) == 160 and len(paced_ids & set(names)) == 10
    assert false_flags == set()
    assert flagged >= {"8", "34", "45", "72", "74", "90", "93", "104", "111"}  # 95 shows no spike at all
    m = measure(read_record(ludb / "34"))
    assert "qrs_axis_deg" in m.quality["not_comparable"] and "qrs_ms" in m.quality["not_comparable"]
    assert any("paced" in note for note in m.quality["notes"])
    assert measure(read_record(ludb / "6")).quality["not_comparable"] == []


def test_cli_contract_holds_with_the_network_and_says_paced(ludb, tmp_path, capsys):
    from training.cli import main as cli_main

    assert cli_main(["measure", str(ludb / "34.hea"), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)  # exactly one JSON object
    assert {"record", "fs", "beats", "global", "quality"} <= set(obj) and obj["quality"]["paced"] is True
    assert obj["quality"]["delineator"]["network"] == ["P", "QRS", "T"]
    assert cli_main(["measure", str(ludb / "34.hea")]) == 0
    assert "paced rhythm" in capsys.readouterr().out
    out = tmp_path / "two.csv"
    assert cli_main(["measure", str(ludb / "34.hea"), str(ludb / "6.hea"), "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [(r["record"], r["paced"]) for r in rows] == [("34", "True"), ("6", "False")]


def test_atrial_fibrillation_and_flutter_lose_their_p_waves_but_sinus_arrhythmia_keeps_them(ludb):
    af_off = dataclasses.replace(RULES, af_irregularity=float("inf"))
    for name in ("88", "103"):  # LUDB: atrial fibrillation / flutter; the rules found "P waves" there
        record = read_record(ludb / name)
        assert measure(record, af_off).quality["p_waves"] == "present"
        assert measure(record, RULES).quality["p_waves"] == "absent"
    for name in ("8", "35", "52", "101", "109"):  # AF or flutter: the default (network) marks no P
        m = measure(read_record(ludb / name))
        assert m.quality["p_waves"] == "absent" and m.global_["pr_ms"] is None, name
    for name in ("22", "108", "132"):  # sinus rhythm with the most irregular RR of LUDB's other records
        assert measure(read_record(ludb / name)).quality["p_waves"] == "present", name
