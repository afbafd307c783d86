"""``python -m training convert``: vendor file -> WFDB -> read_record gives the same samples and
metadata, broken inputs are skipped with their reason, and ``fit`` trains on a converted folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from fit_helpers import one_thread, tiny_config
from training.cli import main
from training.config import save_config
from training.data import read_header, read_record
from training.data.datasets import load_dataset

LABELS = {"example1.xml": "Normal", "example2.xml": "PVC", "example3.xml": "Normal",
          "Example.xml": "Normal", "2020-5-18_15-48-11.xml": "Normal", "3191723_ZZDEMOPTONLY_1-04_orig.xml": "STE",
          "Example.dcm": "Normal", "Example.scp": "Normal"}
SPLITS = {"example1.xml": "val", "example2.xml": "train", "example3.xml": "test", "Example.xml": "train",
          "2020-5-18_15-48-11.xml": "train", "3191723_ZZDEMOPTONLY_1-04_orig.xml": "train",
          "Example.dcm": "val", "Example.scp": "test"}


@pytest.fixture(scope="module")
def converted(shared_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("convert")
    labels = tmp / "labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "labels", "split"])
        writer.writerows([name, code, SPLITS[name]] for name, code in LABELS.items())
    out = tmp / "wfdb"
    code = main(["convert", str(shared_data / "vendor"), str(shared_data / "formats" / "test_generator_2.edf"),
                 "--to", "wfdb", str(out), "--labels", str(labels), "--progress", "plain"])
    assert code == 0
    return shared_data, out


def test_every_vendor_file_round_trips_through_wfdb(converted):
    shared_data, out = converted
    written = {p.stem for p in out.glob("*.hea")}
    assert written == {"example1", "example2", "example3", "Example", "Example_scp", "Example_xml",
                       "2020-5-18_15-48-11", "3191723_ZZDEMOPTONLY_1-04_orig", "test_generator_2"}
    pairs = {"example2": "ge_muse_xml/example2.xml", "Example_xml": "hl7_aecg_scp_dicom/Example.xml",
             "Example": "hl7_aecg_scp_dicom/Example.dcm", "Example_scp": "hl7_aecg_scp_dicom/Example.scp",
             "3191723_ZZDEMOPTONLY_1-04_orig": "philips_sierra_xml/3191723_ZZDEMOPTONLY_1-04_orig.xml"}
    for name, source in pairs.items():
        original, back = read_record(shared_data / "vendor" / source), read_record(out / name)
        assert back.leads == original.leads and back.fs == original.fs and back.units == original.units
        np.testing.assert_allclose(back.signal, original.signal, rtol=0, atol=1e-5)  # 0.01 µV
        assert (back.start, back.age, back.sex) == (original.start, original.age, original.sex), name
        for statement in original.statements:
            assert f"Statement: {statement}" in back.comments
    edf = read_record(out / "test_generator_2")
    np.testing.assert_allclose(edf.signal, read_record(shared_data / "formats" / "test_generator_2.edf").signal,
                               rtol=0, atol=1e-5)
    muse = read_header(out / "example2")
    assert "Derived: III,aVR,aVL,aVF computed from I and II" in muse.comments
    assert any(c.startswith("Measurements: hr_bpm=65 pr_ms=184") for c in muse.comments)
    philips = read_header(out / "3191723_ZZDEMOPTONLY_1-04_orig")
    assert philips.labels == ("426783006", "164873001", "164931005")  # SR, LVH, STE from the statements
    assert "Trimmed: 0.4 s calibration pulse of 1 mV" in philips.comments


def test_statements_become_cinc_labels_and_the_csv_a_manifest(converted):
    _, out = converted
    manifest = load_dataset(out, label_set="cpsc2018")  # manifest.csv wins over #Dx
    by_name = {Path(p).name: t for p, t in zip(manifest.paths, manifest.targets)}
    classes = manifest.label_set.classes
    assert by_name["example2"][classes.index("PVC")] == 1 and by_name["Example_scp"][classes.index("Normal")] == 1
    assert len(manifest) == 8  # the EDF has no row in the labels CSV
    (out / "manifest.csv").rename(out / "manifest.off")
    try:
        cinc = load_dataset(out, label_set="cinc-scored")
    finally:
        (out / "manifest.off").rename(out / "manifest.csv")
    sinus = [c for c in cinc.label_set.classes if "426783006" in c.split("|")][0]
    labelled = {Path(p).name for p, t in zip(cinc.paths, cinc.targets) if t[cinc.label_set.classes.index(sinus)]}
    assert labelled == {"2020-5-18_15-48-11", "3191723_ZZDEMOPTONLY_1-04_orig", "Example_xml"}


def test_fit_trains_on_a_converted_folder(converted, tmp_path, capsys):
    _, out = converted
    config = tiny_config(out, tmp_path / "runs", data={"kind": "auto", "label_set": "cpsc2018", "fs": 100.0},
                         train={"epochs": 1, "batch_size": 4, "patience": 0, "monitor": "loss"})
    path = tmp_path / "hospital.toml"
    save_config(config, path)
    with one_thread():
        assert main(["fit", "--config", str(path), "--progress", "jsonl"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert events[0]["type"] == "start" and events[-1]["type"] == "done"
    assert Path(events[-1]["model"]).is_file()


def test_a_broken_input_is_skipped_with_its_reason_and_the_rest_converted(shared_data, tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "good.dcm").symlink_to(shared_data / "vendor" / "hl7_aecg_scp_dicom" / "Example.dcm")
    scp = (shared_data / "vendor" / "hl7_aecg_scp_dicom" / "Example.scp").read_bytes()
    (inputs / "cut.scp").write_bytes(scp[:1000])
    assert main(["convert", str(inputs), "--to", "wfdb", str(tmp_path / "out"), "--progress", "plain"]) == 2
    captured = capsys.readouterr()
    assert "cut.scp: the SCP-ECG file is 1000 bytes but says 34144" in captured.err
    assert "wrote 1 WFDB record(s)" in captured.out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.dat", "good.hea"]


def test_an_unknown_target_format_is_refused(shared_data, tmp_path, capsys):
    assert main(["convert", str(shared_data / "vendor"), "--to", "csv", str(tmp_path)]) == 2
    assert "cannot convert to 'csv'" in capsys.readouterr().err
