"""Hospital ECG exports: every vendor file against an independent decode, the three copies of one ECG
against each other, and a hostile corpus built from the real files."""

from __future__ import annotations

import base64
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from training.data import STANDARD_LEADS, read_header, read_record
from training.data.formats import SUFFIXES, common, find_format
from training.errors import RecordError

MUSE = ("example1.xml", "example2.xml", "example3.xml")
PHILIPS = ("2020-5-18_15-48-11.xml", "3191723_ZZDEMOPTONLY_1-04_orig.xml")
H = "{urn:hl7-org:v3}"


@pytest.fixture(scope="module")
def vendor(shared_data: Path) -> Path:
    return shared_data / "vendor"


@pytest.fixture(scope="module")
def copies(vendor: Path):
    """The one Mortara ECG as HL7 aECG, DICOM and SCP-ECG."""
    folder = vendor / "hl7_aecg_scp_dicom"
    return {kind: read_record(folder / f"Example.{kind}") for kind in ("xml", "dcm", "scp")}


def _assert_contract(record, fs: float, n_samples: int) -> None:
    assert record.signal.dtype == np.float32 and record.signal.flags.c_contiguous
    assert record.signal.shape == (12, n_samples)
    assert record.leads == STANDARD_LEADS and record.units == ("mV",) * 12
    assert record.fs == fs
    assert np.isfinite(record.signal).all()
    header = read_header(record.path)
    for field in ("fs", "n_samples", "leads", "units", "start", "age", "sex", "statements", "source_format",
                  "device", "derived_leads"):
        assert getattr(header, field) == getattr(record, field), field
    assert dict(header.device_measurements) == dict(record.device_measurements)


# ------------------------------------------------------------------------------------------ GE MUSE
def _muse_leads(path: Path, kind: str) -> dict[str, np.ndarray]:
    """Independent decode with the standard library: base64 '<i2' × LeadAmplitudeUnitsPerBit µV."""
    root = ET.parse(path).getroot()
    wave = next(w for w in root.iter("Waveform") if w.findtext("WaveformType") == kind)
    return {lead.findtext("LeadID"): np.frombuffer(base64.b64decode(lead.findtext("WaveFormData")), "<i2")
            * float(lead.findtext("LeadAmplitudeUnitsPerBit")) / 1000 for lead in wave.iter("LeadData")}


@pytest.mark.parametrize("name", MUSE)
def test_muse_rhythm_matches_an_independent_decode_and_derives_four_limb_leads(vendor, name):
    path = vendor / "ge_muse_xml" / name
    record = read_record(path)
    _assert_contract(record, 500.0, 5000)
    assert record.source_format == "GE MUSE XML"
    assert record.derived_leads == ("III", "aVR", "aVL", "aVF")
    stored = _muse_leads(path, "Rhythm")
    assert sorted(stored) == sorted(["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"])
    for lead, samples in stored.items():
        np.testing.assert_allclose(record.lead(lead), samples, atol=1e-6)
    one, two = stored["I"], stored["II"]
    np.testing.assert_allclose(record.lead("III"), two - one, atol=1e-6)
    np.testing.assert_allclose(record.lead("aVR"), -(one + two) / 2, atol=1e-6)
    np.testing.assert_allclose(record.lead("aVL"), one - two / 2, atol=1e-6)
    np.testing.assert_allclose(record.lead("aVF"), two - one / 2, atol=1e-6)
    median = _muse_leads(path, "Median")
    assert record.median_beat.shape == (12, 600)
    np.testing.assert_allclose(record.median_beat[record.leads.index("V2")], median["V2"], atol=1e-6)


def test_muse_measurements_are_kept_under_the_measurement_key_names(vendor):
    record = read_record(vendor / "ge_muse_xml" / "example2.xml")
    assert dict(record.device_measurements) == {
        "hr_bpm": 65.0, "rr_ms": 923.1, "pr_ms": 184.0, "qrs_ms": 100.0, "qt_ms": 420.0, "qtc_ms": 437.0,
        "p_axis_deg": 42.0, "qrs_axis_deg": -2.0, "t_axis_deg": 12.0}
    assert "MUSE 9.0.7" in record.device


# ------------------------------------------------------------------------------------------ Philips
@pytest.mark.parametrize("name", PHILIPS)
def test_philips_samples_match_sierraecg_and_the_calibration_pulse_is_trimmed(vendor, name):
    import sierraecg

    path = vendor / "philips_sierra_xml" / name
    record = read_record(path)
    _assert_contract(record, 500.0, 5300)
    reference = np.stack([lead.samples for lead in sierraecg.read_file(str(path)).leads]).astype(float) * 5 / 1000
    assert reference.shape == (12, 5500)
    np.testing.assert_allclose(record.signal, reference[:, :5300], atol=1e-6)
    tail = reference[:, 5300:]
    assert (tail == tail[0]).all() and tail.max() == pytest.approx(1.0)  # the 1 mV pulse, on every lead at once
    assert record.metadata["calibration_trimmed"] == {"samples": 200, "seconds": 0.4, "pulse_mV": 1.0}
    assert record.source_format.startswith("Philips Sierra XML 1.04")
    assert record.device.startswith("Philips PageWriter")
    assert record.statements and record.device_measurements["qrs_ms"] > 0


# ------------------------------------------------------------------------------------------ aECG, DICOM, SCP
def test_aecg_matches_an_independent_decode(vendor, copies):
    root = ET.parse(vendor / "hl7_aecg_scp_dicom" / "Example.xml").getroot()
    series = next(s for s in root.iter(f"{H}series") if s.find(f"{H}code").get("code") == "RHYTHM")
    sequence_set = series.find(f"{H}component/{H}sequenceSet")
    record = copies["xml"]
    _assert_contract(record, 500.0, 5000)
    checked = 0
    for sequence in sequence_set.iter(f"{H}sequence"):
        code = sequence.find(f"{H}code").get("code")
        if not code.startswith("MDC_ECG_LEAD_"):
            continue
        value = sequence.find(f"{H}value")
        digits = np.array(value.findtext(f"{H}digits").split(), float)
        expected = (digits * float(value.find(f"{H}scale").get("value")) + float(value.find(f"{H}origin").get("value"))) / 1000
        np.testing.assert_allclose(record.lead(code.removeprefix("MDC_ECG_LEAD_")), expected, atol=1e-6)
        checked += 1
    assert checked == 12
    assert record.device_measurements["pr_ms"] == 148 and record.device_measurements["qrs_axis_deg"] == -61
    assert record.statements == ("Sinus Rhythm",)
    waves = record.metadata["waves"]
    assert {w["wave"] for w in waves} == {"P", "QRS", "T"}
    assert waves[0] == {"wave": "P", "onset_s": 0.122, "offset_s": 0.224}
    assert (record.age, record.sex, str(record.start)) == (46.0, "M", "2002-11-22 09:10:00")


def test_dicom_matches_pydicom_for_both_files(vendor):
    import pydicom
    import pydicom.data

    for path, fs, n in ((vendor / "hl7_aecg_scp_dicom" / "Example.dcm", 500.0, 5000),
                        (Path(pydicom.data.get_testdata_file("waveform_ecg.dcm")), 1000.0, 10000)):
        record = read_record(path)
        _assert_contract(record, fs, n)
        reference = pydicom.dcmread(path).waveform_array(0).T / 1000  # µV -> mV; channels already in 12-lead order
        np.testing.assert_allclose(record.signal, reference, atol=1e-6)
        assert record.median_beat is not None and record.median_beat.shape[0] == 12
    assert record.device == "Mortara Instrument, Inc. el250"
    assert record.statements == ("RITMO SINUSALE", "ECG NORMALE")
    assert record.device_measurements["qtc_ms"] == 370


def test_the_three_copies_of_one_ecg_agree_sample_for_sample(copies):
    aecg, dicom, scp = copies["xml"], copies["dcm"], copies["scp"]
    assert aecg.leads == dicom.leads == scp.leads == STANDARD_LEADS
    assert aecg.fs == dicom.fs == scp.fs == 500.0
    np.testing.assert_array_equal(aecg.signal, dicom.signal)
    np.testing.assert_array_equal(aecg.signal, scp.signal)
    np.testing.assert_array_equal(aecg.median_beat, scp.median_beat)  # both 599 samples
    np.testing.assert_array_equal(aecg.median_beat, dicom.median_beat[:, :599])
    assert aecg.start == dicom.start == scp.start
    for key in ("pr_ms", "qrs_ms", "qt_ms", "p_axis_deg", "qrs_axis_deg", "t_axis_deg"):
        assert aecg.device_measurements[key] == dicom.device_measurements[key] == scp.device_measurements[key], key


# ------------------------------------------------------------------------------------------ EDF
def test_edf_keeps_the_ecg_channel_and_lists_the_others(shared_data):
    import edfio

    path = shared_data / "formats" / "test_generator_2.edf"
    record = read_record(path)
    assert record.source_format == "EDF+" and record.leads == ("ECG",) and record.fs == 200.0
    reference = edfio.read_edf(path).get_signal("ECG").data / 1000
    np.testing.assert_allclose(record.signal[0], reference, atol=1e-6)
    ignored = {c["label"] for c in record.metadata["ignored_channels"]}
    assert len(ignored) == 10 and "squarewave" in ignored and "ECG" not in ignored
    assert [a["text"] for a in record.metadata["annotations"]] == ["RECORD START", "REC STOP"]
    assert read_header(path).n_samples == 120000


def test_edf_lead_labels_become_canonical_leads(tmp_path):
    import edfio

    signals = [edfio.EdfSignal(np.sin(np.arange(2500) / 50) * 500, 250, label=label, physical_dimension="uV")
               for label in ("ECG I", "EKG II", "ECG V1")]
    signals.append(edfio.EdfSignal(np.ones(2500), 250, label="Resp", physical_dimension="Ohm"))
    path = tmp_path / "three.edf"
    edfio.Edf(signals).write(path)
    record = read_record(path)
    assert record.leads == ("I", "II", "III", "aVR", "aVL", "aVF", "V1")
    assert record.derived_leads == ("III", "aVR", "aVL", "aVF")
    assert record.metadata["ignored_channels"] == [{"label": "Resp", "reason": "not an ECG channel"}]


# ------------------------------------------------------------------------------------------ registry
def test_a_bdf_file_reads_its_24_bit_ecg(tmp_path):
    import edfio

    wave = np.sin(np.arange(5000) / 40) * 800  # µV
    path = tmp_path / "two.bdf"
    edfio.Bdf([edfio.BdfSignal(wave, 500, label=label, physical_dimension="uV") for label in ("ECG I", "ECG II")]).write(path)
    record = read_record(path)
    assert record.source_format == "BDF" and record.fs == 500.0 and record.leads[:2] == ("I", "II")
    np.testing.assert_allclose(record.lead("I"), wave / 1000, atol=1e-5)
    data = bytearray(path.read_bytes())
    data[236:244] = b"99999999"  # records declared: checked before edfio reads (and allocates) the samples
    huge = tmp_path / "huge.bdf"
    huge.write_bytes(bytes(data))
    with pytest.raises(RecordError, match="more than ECG Studio reads"):
        read_record(huge)


def test_xml_files_are_told_apart_by_content_and_an_extensionless_dicom_is_found(vendor, tmp_path):
    assert find_format(vendor / "ge_muse_xml" / "example1.xml").name == "GE MUSE XML"
    assert find_format(vendor / "philips_sierra_xml" / PHILIPS[0]).name == "Philips Sierra XML"
    assert find_format(vendor / "hl7_aecg_scp_dicom" / "Example.xml").name == "HL7 aECG"
    bare = tmp_path / "ECG0001"
    shutil.copy(vendor / "hl7_aecg_scp_dicom" / "Example.dcm", bare)
    assert read_record(bare).source_format == "DICOM ECG"
    assert {".xml", ".dcm", ".edf", ".bdf", ".scp"} <= set(SUFFIXES)


# ------------------------------------------------------------------------------------------ hostile corpus
def _muse_text(vendor: Path) -> str:
    return (vendor / "ge_muse_xml" / "example1.xml").read_text(encoding="iso-8859-1")


def _muse_flipped(text: str) -> str:
    """One base64 character of the first rhythm lead changed: still valid base64, other samples."""
    at = text.index("<WaveFormData>", text.index("<WaveformType>Rhythm")) + len("<WaveFormData>") + 40
    return text[:at] + ("B" if text[at] != "B" else "C") + text[at + 1:]


def _first_digits_cut(text: str) -> str:
    """Drop ten samples from the first aECG lead."""
    match = re.search(r"<digits>([^<]+)</digits>", text)
    values = match.group(1).split()
    return text[:match.start(1)] + " ".join(values[:-10]) + text[match.end(1):]


def _xli_cut(philips: bytes, prefix: str = "") -> bytes:
    """The Philips file with its waveform data cut to 2000 base64 characters, or prefixed."""
    text = philips.decode("utf-16")
    match = re.search(r"(<parsedwaveforms[^>]*>)([^<]*)", text)
    data = prefix + match.group(2) if prefix else match.group(2)[:2000]
    return (text[:match.end(1)] + data + text[match.end(2):]).encode("utf-16")


def _scp_patched(scp: bytes, section_index: int, offset: int, value: bytes) -> bytes:
    """The SCP file with bytes of one section's data changed and every CRC recomputed: a valid file
    that uses a feature the decoder does not support."""
    import binascii
    import struct

    data = bytearray(scp)
    start = section_index - 1
    length = struct.unpack_from("<I", data, start + 4)[0]
    data[start + 16 + offset:start + 16 + offset + len(value)] = value
    struct.pack_into("<H", data, start, binascii.crc_hqx(bytes(data[start + 2:start + length]), 0xFFFF))
    struct.pack_into("<H", data, 0, binascii.crc_hqx(bytes(data[2:]), 0xFFFF))
    return bytes(data)


def _hostile_files(vendor: Path, tmp: Path) -> list[tuple[str, Path, str]]:
    """(case, file, words the reason must contain) — each made from a real file."""
    muse = _muse_text(vendor)
    aecg = (vendor / "hl7_aecg_scp_dicom" / "Example.xml").read_text(encoding="utf-8")
    philips = (vendor / "philips_sierra_xml" / PHILIPS[0]).read_bytes()
    scp = (vendor / "hl7_aecg_scp_dicom" / "Example.scp").read_bytes()
    dicom = (vendor / "hl7_aecg_scp_dicom" / "Example.dcm").read_bytes()
    edf = (vendor.parent / "formats" / "test_generator_2.edf").read_bytes()
    cases: list[tuple[str, str, bytes, str]] = [
        ("truncated MUSE XML", "cut.xml", muse[: len(muse) // 2].encode("iso-8859-1"), "malformed or truncated"),
        ("bad base64", "b64.xml", muse.replace("<WaveFormData>", "<WaveFormData>@@@@", 1).encode("iso-8859-1"),
         "not valid base64"),
        ("MUSE lead of the wrong length", "short.xml",
         re.sub(r"(<WaveformType>Rhythm</WaveformType>.*?<WaveFormData>\s*)[A-Za-z0-9+/]{8}", r"\1", muse, count=1,
                flags=re.S).encode("iso-8859-1"), "lead I holds 4997 samples"),
        ("MUSE samples changed", "crc.xml", _muse_flipped(muse).encode("iso-8859-1"), "CRC-32 does not match"),
        ("MUSE without a sampling rate", "norate.xml",
         muse.replace("<SampleBase>500</SampleBase>", "").encode("iso-8859-1"), "no sampling rate"),
        ("MUSE declaring a huge lead", "huge.xml",
         muse.replace("<LeadSampleCountTotal>5000<", "<LeadSampleCountTotal>900000000<").encode("iso-8859-1"),
         "larger than ECG Studio reads"),
        ("aECG lead of the wrong length", "short_aecg.xml", _first_digits_cut(aecg).encode(), "lead I has 4990 samples"),
        ("aECG without a time increment", "noinc_aecg.xml",
         re.sub(r"<increment [^>]*/>", "", aecg).encode(), "no sampling rate"),
        ("UTF-16 Philips cut in half", "half.xml", philips[: len(philips) // 2 + 1], "XML"),
        ("Philips with cut XLI data", "xli.xml", _xli_cut(philips), "not valid base64"),
        ("Philips with corrupt XLI chunks", "xli2.xml", _xli_cut(philips, prefix="AAAA"), "cannot be decoded"),
        ("billion laughs", "laughs.xml",
         b'<?xml version="1.0"?><!DOCTYPE RestingECG [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
         b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><RestingECG>&c;</RestingECG>', "refused as unsafe"),
        ("external entity (XXE)", "xxe.xml",
         b'<?xml version="1.0"?><!DOCTYPE RestingECG [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
         b"<RestingECG><MuseInfo>&x;</MuseInfo></RestingECG>", "refused as unsafe"),
        ("XML that is no ECG", "other.xml", b"<?xml version='1.0'?><catalog><book/></catalog>",
         "not a recognised ECG file"),
        ("empty file", "empty.xml", b"", "empty"),
        ("SCP with a flipped byte", "flip.scp", scp[:5000] + bytes([scp[5000] ^ 0xFF]) + scp[5001:], "corrupt"),
        ("truncated SCP", "cut.scp", scp[:20000], "truncated"),
        # Example.scp's section table puts section 3 (lead definitions) at byte 329 and section 2 at 311
        ("SCP with reference-beat subtraction", "refbeat.scp", _scp_patched(scp, 329, 1, bytes([scp[329 - 1 + 17] | 1])),
         "reference-beat subtraction is recognised but not supported"),
        ("SCP with its own Huffman tables", "huffman.scp", _scp_patched(scp, 311, 0, b"\x01\x00"),
         "own Huffman tables is recognised but not supported"),
        ("DICOM cut short", "cut.dcm", dicom[: len(dicom) // 2], "cut short"),
        ("EDF cut short", "cut.edf", edf[: len(edf) // 2], "truncated: it holds 299 of the 600 data records"),
    ]
    out = []
    for case, name, data, words in cases:
        path = tmp / name
        path.write_bytes(data)
        out.append((case, path, words))
    return out


def _dicom_without_waveform(vendor: Path, tmp: Path) -> Path:
    import pydicom

    ds = pydicom.dcmread(vendor / "hl7_aecg_scp_dicom" / "Example.dcm")
    del ds.WaveformSequence
    path = tmp / "nowave.dcm"
    ds.save_as(path)
    return path


def _edf_without_ecg(shared_data: Path, tmp: Path) -> Path:
    import edfio

    edf = edfio.read_edf(shared_data / "formats" / "test_generator_2.edf")
    edf.drop_signals(["ECG"])
    path = tmp / "noecg.edf"
    edf.write(path)
    return path


def test_every_hostile_file_gives_a_record_error_naming_file_and_reason(shared_data, vendor, tmp_path):
    cases = _hostile_files(vendor, tmp_path)
    cases.append(("DICOM without a waveform", _dicom_without_waveform(vendor, tmp_path), "holds no waveform"))
    cases.append(("EDF without an ECG channel", _edf_without_ecg(shared_data, tmp_path), "no ECG channel"))
    failures = []
    for case, path, words in cases:
        for reader in (read_record, read_header):
            try:
                reader(path)
            except RecordError as exc:
                if exc.path != path or words not in exc.reason or path.name not in str(exc):
                    failures.append(f"{case} ({reader.__name__}): {exc}")
            else:
                if reader is read_record or words in ("larger than ECG Studio reads",):
                    failures.append(f"{case} ({reader.__name__}): no error")
    assert not failures, "\n".join(failures)


def test_size_limit_is_checked_before_the_xml_is_read(vendor, tmp_path, monkeypatch):
    monkeypatch.setattr(common, "MAX_XML_BYTES", 1000)
    with pytest.raises(RecordError, match="MB, more than"):
        read_record(vendor / "ge_muse_xml" / "example1.xml")


@pytest.mark.parametrize("source, mutations", [
    ("vendor/ge_muse_xml/example3.xml", 40), ("vendor/hl7_aecg_scp_dicom/Example.xml", 20),
    ("vendor/hl7_aecg_scp_dicom/Example.dcm", 40), ("vendor/hl7_aecg_scp_dicom/Example.scp", 40),
    ("formats/test_generator_2.edf", 40), ("vendor/philips_sierra_xml/2020-5-18_15-48-11.xml", 6),
])
def test_corrupted_copies_read_or_fail_with_a_record_error_never_anything_else(shared_data, tmp_path, source,
                                                                             mutations):
    """Seeded random corruption (bytes overwritten, runs deleted, cuts) of each real file."""
    data = (shared_data / source).read_bytes()
    rng = np.random.default_rng(16)
    path = tmp_path / Path(source).name
    for i in range(mutations):
        corrupt = bytearray(data)
        kind = i % 3
        if kind == 0:
            for at in rng.integers(0, len(data), 8):
                corrupt[at] = int(rng.integers(0, 256))
        elif kind == 1:
            at = int(rng.integers(0, len(data) - 64))
            del corrupt[at:at + int(rng.integers(1, 64))]
        else:
            corrupt = corrupt[: int(rng.integers(1, len(data)))]
        path.write_bytes(bytes(corrupt))
        try:
            record = read_record(path)
        except RecordError as exc:
            assert exc.path == path and exc.reason
        else:
            assert record.signal.dtype == np.float32 and np.isfinite(record.signal).all()
