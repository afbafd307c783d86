"""``python -m training convert IN... --to wfdb OUT_DIR``: hospital exports become a WFDB dataset.

Each record readable by :func:`training.data.read_record` (a file, or every record below a folder) is
written as a WFDB record (format 32 at 100 000 counts per mV: 0.01 µV steps, so every vendor's
samples come back unchanged) whose header comments carry what the engine and a person need: age and
sex (``#Age:``/``#Sex:``, read back as demographics), the statements mapped to SNOMED-CT codes
(``#Dx:``, so ``fit`` on the folder trains on them as on a CinC folder), each statement as written,
the source file and format, the device, the derived leads and the device's measurements.

With ``--labels CSV`` (columns ``file`` and ``labels``, codes separated by ``;``; optionally ``patient``
and ``split``, as in a manifest) the folder also gets
a ``manifest.csv``, and ``fit`` takes its labels from there instead. A file that cannot be read is
reported and skipped; the others are still converted. Every file is written atomically.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from training.errors import DatasetError, ECGError, RecordError

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep --help free of numpy/wfdb
    from training.data.record import Record

#: Digital counts per mV in the written records (format 32): far finer than any device's resolution.
COUNTS_PER_MV = 100_000
FORMATS = ("wfdb",)


@dataclass
class ConvertReport:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def header_comments(record: Record) -> list[str]:
    """The header comment lines (without ``#``) that keep a record's metadata in WFDB."""
    from training.data.statements import statement_codes

    lines = []
    if record.age is not None:
        lines.append(f"Age: {record.age:g}")
    if record.sex is not None:
        lines.append(f"Sex: {'Male' if record.sex == 'M' else 'Female'}")
    codes = tuple(dict.fromkeys((*record.labels, *statement_codes(record.statements))))
    if codes:
        lines.append(f"Dx: {','.join(codes)}")
    lines.extend(f"Statement: {statement}" for statement in record.statements)
    lines.append(f"Source: {record.source_format}, {record.path.name}")
    if record.device:
        lines.append(f"Device: {record.device}")
    if record.start is not None:
        lines.append(f"Acquired: {record.start.isoformat(sep=' ')}")
    if record.derived_leads:
        lines.append(f"Derived: {','.join(record.derived_leads)} computed from I and II")
    if record.device_measurements:
        values = " ".join(f"{key}={value:g}" for key, value in record.device_measurements.items())
        lines.append(f"Measurements: {values} (device's own)")
    trimmed = record.metadata.get("calibration_trimmed") if record.metadata else None
    if trimmed:
        lines.append(f"Trimmed: {trimmed['seconds']:g} s calibration pulse of {trimmed['pulse_mV']:g} mV")
    return [line.replace("\n", " ") for line in lines]


def write_wfdb(record: Record, out_dir: Path, name: str) -> Path:
    """Write ``record`` as ``out_dir/name.hea`` + ``.dat``, atomically (signal first, header last)."""
    import numpy as np
    import wfdb

    digital = np.round(record.signal.astype(np.float64) * COUNTS_PER_MV)
    limit = 2**31 - 1
    if np.abs(digital).max(initial=0) >= limit:
        raise RecordError(record.path, f"samples beyond ±{limit / COUNTS_PER_MV:g} mV cannot be written to WFDB")
    start = record.start
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".convert-") as tmp:
        wfdb.wrsamp(
            name, fs=record.fs, units=list(record.units), sig_name=list(record.leads),
            d_signal=digital.T.astype(np.int32), fmt=["32"] * record.n_leads,
            adc_gain=[float(COUNTS_PER_MV)] * record.n_leads, baseline=[0] * record.n_leads,
            comments=header_comments(record), write_dir=tmp,
            base_date=start.date() if start else None, base_time=start.time() if start else None)
        for suffix in (".dat", ".hea"):
            os.replace(Path(tmp) / f"{name}{suffix}", out_dir / f"{name}{suffix}")
    return out_dir / f"{name}.hea"


def _safe_name(path: Path, taken: set[str]) -> str:
    """A WFDB record name from the file name; the source extension is added when names collide."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem).strip("_") or "record"
    name = stem
    if name in taken:
        name = f"{stem}_{path.suffix.lstrip('.').lower() or 'file'}"
    counter = 2
    while name in taken:
        name, counter = f"{stem}_{counter}", counter + 1
    taken.add(name)
    return name


def _read_labels(path: Path) -> dict[str, dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not {"file", "labels"} <= set(reader.fieldnames or ()):
                raise DatasetError(path, "a labels CSV needs the columns 'file' and 'labels'")
            return {(row.get("file") or "").strip(): row for row in reader}
    except OSError as exc:
        raise DatasetError(path, f"cannot read the labels CSV: {exc.strerror or exc}") from None


def _manifest_row(source: Path, name: str, table: dict[str, dict[str, str]]):
    """The manifest row of a converted record from its labels-CSV row (matched by path, name or stem)."""
    from training.data.manifest import LABEL_SEPARATOR, ManifestRow

    row = next((table[key] for key in (str(source), source.name, source.stem) if key in table), None)
    if row is None:
        return None
    codes = tuple(c.strip() for c in (row.get("labels") or "").split(LABEL_SEPARATOR) if c.strip())
    return ManifestRow(name, codes, (row.get("patient") or "").strip() or name, (row.get("split") or "").strip())


def convert(inputs: list[Path], out_dir: Path, labels_csv: Path | None = None, progress=None) -> ConvertReport:
    """Convert every record of ``inputs`` into ``out_dir``; ``progress(done, total, path)`` after each."""
    from training.data import read_record
    from training.data.discover import find_records
    from training.data.manifest import write_manifest

    sources: list[Path] = []
    for item in inputs:
        if not item.exists():
            raise DatasetError(item, "no such file or folder")
        sources.extend(find_records(item))
    if not sources:
        raise DatasetError(inputs[0], "no ECG records found")
    out_dir.mkdir(parents=True, exist_ok=True)
    table = _read_labels(labels_csv) if labels_csv else None
    report, taken, rows = ConvertReport(), set(), []
    for done, source in enumerate(sources, start=1):
        try:
            record = read_record(source)
            name = _safe_name(source, taken)
            report.written.append(write_wfdb(record, out_dir, name))
            row = _manifest_row(source, name, table) if table is not None else None
            if row is not None:
                rows.append(row)
        except RecordError as exc:
            report.failed.append((exc.path, exc.reason))
        if progress is not None:
            progress(done, len(sources), source)
    if table is not None:
        write_manifest(out_dir, rows)
    return report


def cmd_convert(args: argparse.Namespace, emit) -> int:
    kind, out = args.to
    if kind.lower() not in FORMATS:
        raise DatasetError(out, f"cannot convert to {kind!r}; formats: {', '.join(FORMATS)}")
    bar = None
    if args.progress == "tqdm" or (args.progress == "auto" and sys.stderr.isatty()):
        from tqdm import tqdm
        bar = tqdm(unit="record", desc="convert", dynamic_ncols=True, file=sys.stderr)

    def progress(done: int, total: int, path: Path) -> None:
        if bar is not None:
            bar.total = total
            bar.update(1)
        else:
            print(f"[{done}/{total}] {path}", file=sys.stderr, flush=True)

    try:
        report = convert([Path(p) for p in args.inputs], Path(out), Path(args.labels) if args.labels else None,
                         progress)
    finally:
        if bar is not None:
            bar.close()
    for path, reason in report.failed:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    print(f"wrote {len(report.written)} WFDB record(s) to {out}"
          + (f"; {len(report.failed)} file(s) could not be read" if report.failed else ""))
    if not report.written:
        raise ECGError("no record could be converted")
    return 0 if not report.failed else 2


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("convert", parents=[common],
                       help="convert hospital ECG exports (MUSE, Philips, aECG, DICOM, EDF, SCP) to WFDB")
    p.add_argument("inputs", nargs="+", metavar="IN", help="record files or folders (searched recursively)")
    p.add_argument("--to", nargs=2, required=True, metavar=("FORMAT", "OUT_DIR"),
                   help="output format (wfdb) and the folder for the converted records")
    p.add_argument("--labels", help="CSV with columns file,labels (codes separated by ';') -> OUT_DIR/manifest.csv")
    p.set_defaults(run=cmd_convert)
