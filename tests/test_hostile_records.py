"""A hostile-record corpus built from real records (PTB-XL, CPSC2018, MIT-BIH, a multi-segment WFDB record),
each altered one way, read in a child process under a memory limit and a per-file alarm.

Every case is either refused with one :class:`RecordError` naming the file and the problem in words, or
read correctly; none may hang, exhaust memory or raise anything else.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from tests.hostile import assert_refused_in_words_or_read, read_in_child
from training.data import read_record

PTBXL = "ptbxl/records500/00000/00001_hr"
CPSC = "cpsc2018/A0001"

#: case -> expected substring of the error message (``None``: the record must read)
EXPECTED: dict[str, str | None] = {}
BUILDERS = {}


def case(name: str, expected: str | None):
    def register(build):
        EXPECTED[name] = expected
        BUILDERS[name] = build
        return build
    return register


def _copy(shared: Path, record: str, folder: Path, stem: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    src = shared / record
    stem = stem or src.name
    for f in src.parent.glob(src.name + ".*"):
        target = folder / (stem + f.suffix)
        data = f.read_bytes()
        if f.suffix == ".hea" and stem != src.name:
            data = data.replace(src.name.encode(), stem.encode())
        target.write_bytes(data)
    return folder / f"{stem}.hea"


def _edit_header(hea: Path, edit) -> Path:
    lines = hea.read_text().splitlines()
    hea.write_text("\n".join(edit(lines)) + "\n")
    return hea


def _record_line(hea: Path, fs: str) -> Path:
    return _edit_header(hea, lambda ls: [" ".join([*ls[0].split()[:2], fs, *ls[0].split()[3:]]), *ls[1:]])


def _signal_field(hea: Path, index: int, value) -> Path:
    def edit(lines):
        out = [lines[0]]
        for line in lines[1:]:
            if line.startswith("#"):
                out.append(line)
                continue
            tokens = line.split()
            tokens[index] = value(tokens[index]) if callable(value) else value
            out.append(" ".join(tokens))
        return out
    return _edit_header(hea, edit)


for rate, text in [("neg_rate", "-500"), ("nan_rate", "nan"), ("inf_rate", "inf")]:
    case(rate, "sampling frequency must be a positive number")(
        lambda s, d, t=text: _record_line(_copy(s, PTBXL, d), t))
for rate, text in [("huge_rate", "1e9"), ("tiny_rate", "1e-4")]:
    case(rate, "outside the range of ECG recorders")(lambda s, d, t=text: _record_line(_copy(s, PTBXL, d), t))


@case("absurd_baseline", "ADC baseline")
def _absurd_baseline(s, d):
    return _signal_field(_copy(s, PTBXL, d), 2, "1000.0(-100000000000)/mV")


@case("absurd_gain", "ADC gain 0.0001")
def _absurd_gain(s, d):
    return _signal_field(_copy(s, PTBXL, d), 2, "0.0001(0)/mV")


@case("duplicate_names", None)
def _duplicate_names(s, d):
    return _signal_field(_copy(s, PTBXL, d), 8, "II")


@case("no_names", None)
def _no_names(s, d):
    return _edit_header(_copy(s, PTBXL, d), lambda ls: [ls[0]] + [" ".join(l.split()[:8]) for l in ls[1:13]])


@case("overwritten_dat", "do not match the checksum")
def _overwritten(s, d):
    hea = _copy(s, PTBXL, d)
    dat = hea.with_suffix(".dat")
    data = bytearray(dat.read_bytes())
    data[40_000:40_400] = np.random.default_rng(0).integers(0, 256, 400, dtype=np.uint8).tobytes()
    dat.write_bytes(bytes(data))
    return hea


@case("complex_mat", "complex numbers")
def _complex_mat(s, d):
    hea = _copy(s, CPSC, d)
    mat = hea.with_suffix(".mat")
    val = scipy.io.loadmat(mat)["val"]
    scipy.io.savemat(mat, {"val": val + 1j * val})
    return hea


@case("truncated_mat", "damaged or truncated")
def _truncated_mat(s, d):
    hea = _copy(s, CPSC, d)
    mat = hea.with_suffix(".mat")
    mat.write_bytes(mat.read_bytes()[:5000])
    return hea


@case("signals_declared_not_described", "declares 100000000 signal(s) but describes 0")
def _declared(s, d):
    return _edit_header(_copy(s, PTBXL, d), lambda ls: ["00001_hr 100000000 500 5000"])


@case("too_many_leads", "at most 256")
def _too_many(s, d):
    return _edit_header(_copy(s, PTBXL, d), lambda ls: ["00001_hr 300 500 5000", *[ls[1]] * 300])


@case("fifo_header", "pipe (FIFO)")
def _fifo(s, d):
    d.mkdir(parents=True)
    os.mkfifo(d / "x.hea")
    return d / "x.hea"


@case("fifo_signal", "pipe (FIFO)")
def _fifo_signal(s, d):
    hea = _copy(s, PTBXL, d)
    hea.with_suffix(".dat").unlink()
    os.mkfifo(hea.with_suffix(".dat"))
    return hea


@case("folder_header", "is a folder")
def _folder(s, d):
    (d / "x.hea").mkdir(parents=True)
    return d / "x.hea"


@case("dev_zero_header", "device file")
def _dev_zero(s, d):
    d.mkdir(parents=True)
    (d / "x.hea").symlink_to("/dev/zero")
    return d / "x.hea"


@case("dev_zero_signal", "device file")
def _dev_zero_signal(s, d):
    hea = _copy(s, PTBXL, d)
    hea.with_suffix(".dat").unlink()
    hea.with_suffix(".dat").symlink_to("/dev/zero")
    return hea


@case("non_ascii_name", None)
def _non_ascii(s, d):
    return _copy(s, PTBXL, d, "électro_é")


@case("enormous_header", "more than the 1,048,576 bytes")
def _enormous(s, d):
    hea = _copy(s, PTBXL, d)
    with open(hea, "a") as fh:
        fh.write("#" + "x" * (3 << 20) + "\n")
    return hea


@case("long_line", "characters long")
def _long_line(s, d):
    hea = _copy(s, PTBXL, d)
    with open(hea, "a") as fh:
        fh.write("#" + "1 " * 200_000 + "\n")
    return hea


@case("many_lines", "lines")
def _many_lines(s, d):
    hea = _copy(s, PTBXL, d)
    with open(hea, "a") as fh:
        fh.write("#\n" * 60_000)
    return hea


@case("compressed_junk", "binary data")
def _compressed(s, d):
    hea = _copy(s, PTBXL, d)
    hea.write_bytes(gzip.compress(hea.read_bytes() * 50))
    return hea


@case("bad_time", "not a valid time of day")
def _bad_time(s, d):
    return _edit_header(_copy(s, PTBXL, d), lambda ls: [ls[0] + " 25:61:61 01/01/2000", *ls[1:]])


@case("bad_date_trailing", "not a valid time of day")
def _bad_date(s, d):
    return _edit_header(_copy(s, PTBXL, d), lambda ls: [ls[0] + " 10:00:00 32/13/2020", *ls[1:]])


@case("long_duration", "at most 14 days")
def _long(s, d):
    return _edit_header(_copy(s, PTBXL, d), lambda ls: [" ".join([*ls[0].split()[:3], str(500 * 86400 * 30)]),
                                                        *ls[1:]])


@case("signal_outside_folder", "signal line is not valid WFDB")
def _outside(s, d):
    return _signal_field(_copy(s, PTBXL, d), 0, "../../etc/passwd")


@case("missing_dat", "signal file not found")
def _missing(s, d):
    hea = _copy(s, PTBXL, d)
    hea.with_suffix(".dat").unlink()
    return hea


@case("short_segment", "segment 2 of 041s is shorter than its header says")
def _short_segment(s, d):
    d.mkdir(parents=True)
    for f in (s / "formats/multi-segment/041s").iterdir():
        shutil.copy(f, d / f.name)
    return _edit_header(d / "041s.hea", lambda ls: [ls[0].replace(" 2000 ", " 3000 "), ls[1], "041s02 2000"])


@case("garbage_signal_line", "signal line is not valid WFDB")
def _garbage_signal_line(s, d):
    return _signal_field(_copy(s, PTBXL, d), 1, "sixteen")


@case("zero_gain_mat", None)
def _zero_gain_mat(s, d):  # WFDB: a gain of 0 means "uncalibrated", read with the default 200 steps/mV
    return _signal_field(_copy(s, CPSC, d), 2, "0/mV")


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("hostile")
    paths = {name: str(build(shared_data, root / name)) for name, build in BUILDERS.items()}
    results = read_in_child("record", list(paths.values()), timeout=240)
    return {name: {**result, "input": paths[name]} for name, result in zip(paths, results)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_record_is_refused_in_words_or_read(corpus, name):
    assert_refused_in_words_or_read(corpus[name], EXPECTED[name], "RecordError")


def test_missing_and_duplicate_lead_names_are_named_by_index(corpus):
    assert corpus["no_names"]["leads"] == [f"signal {i}" for i in range(1, 13)]
    assert corpus["duplicate_names"]["leads"] == [f"II #{i}" for i in range(1, 13)]


def test_non_ascii_file_name_reads_the_same_samples(corpus, shared_data):
    ours = read_record(corpus["non_ascii_name"]["input"])
    np.testing.assert_array_equal(ours.signal, read_record(shared_data / PTBXL).signal)
    assert ours.name == "électro_é"


def test_memory_budget_is_checked_before_allocating(shared_data, tmp_path, monkeypatch):
    hea = _copy(shared_data, PTBXL, tmp_path)
    monkeypatch.setenv("ECGSTUDIO_MEMORY_BUDGET", "100000")
    with pytest.raises(Exception) as info:
        read_record(hea)
    assert "GiB of memory" in str(info.value) and "00001_hr.hea" in str(info.value)
