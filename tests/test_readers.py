"""Reading every real record, and a bad-input corpus built from real records."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import wfdb

from training.data import STANDARD_LEADS, read_header, read_record
from training.data.record import canonical_lead_name
from training.errors import RecordError


def _index_rows(shared_data: Path) -> list[dict]:
    with open(shared_data / "records_index.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_indexed_record_loads_with_its_shape_rate_and_leads(shared_data):
    rows = _index_rows(shared_data)
    assert len(rows) == 1197
    for row in rows:
        record = read_record(shared_data / row["path"])
        assert record.signal.dtype == np.float32
        assert record.signal.shape == (int(row["n_leads"]), int(row["n_samples"])), row["path"]
        assert record.fs == float(row["fs"]), row["path"]
        expected = tuple(canonical_lead_name(n) for n in row["lead_names"].split(";"))
        assert record.leads == expected, row["path"]
        assert np.isfinite(record.signal).all()


def test_ptbxl_augmented_leads_get_conventional_names(ptbxl_root):
    record = read_record(ptbxl_root / "records100/00000/00001_lr.hea")
    assert record.leads == STANDARD_LEADS
    assert record.units == ("mV",) * 12


def test_georgia_header_naming_record_with_mat_extension_is_read(shared_data):
    path = shared_data / "cinc/georgia/E01137"
    with pytest.raises(Exception):
        wfdb.rdrecord(str(path))  # what PROVENANCE.md says: wfdb refuses this header
    record = read_record(path)
    assert record.name == "E01137"
    assert record.signal.shape == (12, 5000)
    assert (record.age, record.sex, record.labels) == (64.0, "F", ("426177001",))


def test_mat_record_matches_wfdb_physical_signal_in_millivolts(shared_data):
    ours = read_record(shared_data / "cpsc2018/A0001.mat")
    theirs = wfdb.rdrecord(str(shared_data / "cpsc2018/A0001"))
    np.testing.assert_allclose(ours.signal, theirs.p_signal.T, atol=1e-6)
    assert ours.labels == ("RBBB",)
    assert ours.age == 74 and ours.sex == "M"


def test_non_ecg_records_keep_their_own_leads_and_units(shared_data):
    mit = read_record(shared_data / "formats/100")
    assert mit.leads == ("MLII", "V5") and mit.fs == 360 and mit.n_samples == 650000
    multi = read_record(shared_data / "formats/multi-segment/041s/041s")
    assert "ABP" in multi.leads and multi.units[multi.leads.index("ABP")] == "mmHg"
    assert multi.start is not None and (multi.start.year, multi.start.hour) == (1994, 8)
    ptb = read_record(shared_data / "formats/s0010_re")
    assert ptb.leads[:12] == STANDARD_LEADS and ptb.leads[12:] == ("vx", "vy", "vz")


def test_header_only_read_agrees_with_full_read(shared_data):
    info = read_header(shared_data / "cinc/ptbxl/HR00599")
    record = read_record(shared_data / "cinc/ptbxl/HR00599")
    assert (info.fs, info.n_samples, info.leads, info.labels) == (record.fs, record.n_samples, record.leads, record.labels)


# --- bad input: each is made from a real record and must raise RecordError naming the file ---------

def _copy_record(src: Path, dst_dir: Path, suffixes=(".hea", ".dat")) -> Path:
    for suffix in suffixes:
        shutil.copy(src.with_suffix(suffix), dst_dir / (src.name + suffix))
    for f in dst_dir.iterdir():
        f.chmod(0o644)
    return dst_dir / src.name


@pytest.fixture
def ptbxl_copy(ptbxl_root, tmp_path) -> Path:
    return _copy_record(ptbxl_root / "records500/00000/00001_hr", tmp_path)


@pytest.fixture
def cpsc_copy(shared_data, tmp_path) -> Path:
    return _copy_record(shared_data / "cpsc2018/A0001", tmp_path, (".hea", ".mat"))


def _expect_error(path: Path, fragment: str, named: Path | None = None) -> RecordError:
    with pytest.raises(RecordError) as info:
        read_record(path)
    assert fragment in str(info.value)
    assert (named or path).name.split(".")[0] in str(info.value.path)
    return info.value


def test_truncated_dat_is_refused(ptbxl_copy):
    dat = ptbxl_copy.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[: 12 * 2 * 3000])
    err = _expect_error(ptbxl_copy, "truncated")
    assert "3000" in str(err) and err.path.suffix == ".dat"


def test_header_claiming_more_samples_than_the_file_has_is_refused(ptbxl_copy):
    hea = ptbxl_copy.with_suffix(".hea")
    hea.write_text(hea.read_text().replace(" 500 5000", " 500 6000", 1))
    _expect_error(ptbxl_copy, "header says 6000")


def test_missing_signal_file_is_refused(ptbxl_copy):
    ptbxl_copy.with_suffix(".dat").unlink()
    _expect_error(ptbxl_copy, "signal file not found")


def test_missing_header_is_refused(tmp_path):
    _expect_error(tmp_path / "nothing", "header file not found")


def test_zero_sampling_frequency_is_refused(ptbxl_copy):
    hea = ptbxl_copy.with_suffix(".hea")
    hea.write_text(hea.read_text().replace(" 500 5000", " 0 5000", 1))
    _expect_error(ptbxl_copy, "sampling frequency")


def test_zero_leads_is_refused(tmp_path):
    (tmp_path / "empty.hea").write_text("empty 0 500 5000\n")
    _expect_error(tmp_path / "empty", "zero leads")


def test_unknown_units_are_refused(ptbxl_copy):
    hea = ptbxl_copy.with_suffix(".hea")
    hea.write_text(hea.read_text().replace("/mV", "/furlong"))
    _expect_error(ptbxl_copy, "unknown units 'furlong'")


def test_non_finite_samples_are_refused(ptbxl_root, tmp_path):
    real = read_record(ptbxl_root / "records500/00000/00001_hr")
    signal = real.signal.T.astype(np.float64).copy()
    signal[1234, 3] = np.nan
    wfdb.wrsamp("withnan", fs=500, units=["mV"] * 12, sig_name=list(real.leads), p_signal=signal,
                fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12, write_dir=str(tmp_path))
    err = _expect_error(tmp_path / "withnan", "non-finite")
    assert "aVR" in str(err) and "2.468 s" in str(err)


def test_mat_with_wrong_key_is_refused(cpsc_copy):
    mat = cpsc_copy.with_suffix(".mat")
    val = scipy.io.loadmat(mat)["val"]
    scipy.io.savemat(mat, {"data": val})
    err = _expect_error(cpsc_copy, "no 'val' matrix", mat)
    assert "data" in str(err)


def test_unreadable_mat_is_refused(cpsc_copy):
    cpsc_copy.with_suffix(".mat").write_bytes(b"this is not a MATLAB file" * 10)
    _expect_error(cpsc_copy, "damaged or truncated")


def test_mat_shorter_than_header_is_refused(cpsc_copy):
    mat = cpsc_copy.with_suffix(".mat")
    scipy.io.savemat(mat, {"val": scipy.io.loadmat(mat)["val"][:, :1000]})
    _expect_error(cpsc_copy, "truncated")


def test_garbage_header_is_refused(tmp_path):
    (tmp_path / "bad.hea").write_text("this is not a header at all\n")
    _expect_error(tmp_path / "bad", "not valid WFDB")
