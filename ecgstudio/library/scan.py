"""Listing a folder of records from their headers only (no Qt: it runs in a worker thread).

Each record becomes a :class:`LibraryEntry`: what its header says, which dataset it belongs to, its
diagnosis codes (from the header's ``#Dx`` line, or PTB-XL's ``ptbxl_database.csv`` for records
inside a PTB-XL folder) and, for a header that cannot be read, the reason.
"""

from __future__ import annotations

import ast
import csv
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from training.data import RecordInfo, formats, read_header
from training.data.discover import find_records
from training.data.labels import describe_code
from training.data.readers import header_path_of
from training.errors import RecordError

PTBXL_DATABASE = "ptbxl_database.csv"
#: A scan hands entries over in batches at least this often, so the list fills while it runs.
BATCH_SECONDS = 0.1


@dataclass(frozen=True)
class LibraryEntry:
    key: str
    path: Path
    name: str
    dataset: str
    info: RecordInfo | None = None
    codes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def diagnoses(self) -> tuple[str, ...]:
        """Human-readable names of the record's diagnosis codes."""
        return tuple(describe_code(code) for code in self.codes)


def record_key(path: str | Path) -> str:
    """The identity of a record for the library and the annotation store: its absolute header path
    without the ``.hea`` suffix (the same for any of the record's file names). Symbolic links are
    kept, not resolved: a record is where the user's folder says it is."""
    return os.path.abspath(header_path_of(path).with_suffix(""))


def find_headers(path: Path) -> list[Path]:
    """The record files of a file or folder (WFDB headers and hospital exports; see :func:`find_records`).
    The segments of a multi-segment record are parts of it, not records: only its master header is
    listed (``041s``, not also ``041s01`` and ``041s02``)."""
    found = find_records(path)
    if Path(path).is_file():
        return found
    parts = {segment for record in found if record.suffix == ".hea" for segment in segment_headers(record)}
    return [record for record in found if record not in parts]


def segment_headers(header: Path) -> list[Path]:
    """Headers of the segments a multi-segment master header lists (record line ``name/n``), beside
    it; ``[]`` for an ordinary (or unreadable) header."""
    try:
        with header.open(encoding="utf-8", errors="replace") as fh:
            lines = [line.split() for line in (raw.strip() for raw, _ in zip(fh, range(10_000)))
                     if line and not line.startswith("#")]
    except OSError:
        return []
    if not lines or "/" not in lines[0][0]:
        return []
    try:
        count = int(lines[0][0].split("/", 1)[1])
    except ValueError:
        return []
    names = [fields[0] for fields in lines[1:1 + count] if fields and fields[0] != "~"]
    return [header.with_name(f"{name}.hea") for name in names]


def scan(root: Path, emit: Callable[[list[LibraryEntry]], None], cancelled: Callable[[], bool] = lambda: False) -> int:
    """Read every header under ``root`` and ``emit`` entries in batches; returns how many were listed."""
    batch: list[LibraryEntry] = []
    count, last = 0, time.monotonic()
    for entry in iter_entries(root):
        if cancelled():
            return count
        batch.append(entry)
        count += 1
        if time.monotonic() - last >= BATCH_SECONDS:
            emit(batch)
            batch, last = [], time.monotonic()
    if batch:
        emit(batch)
    return count


def iter_entries(root: Path) -> Iterator[LibraryEntry]:
    root = Path(root)
    labels = PtbxlLabels()
    for header in find_headers(root):
        yield _entry(header, root, labels)


def _entry(header: Path, root: Path, labels: "PtbxlLabels") -> LibraryEntry:
    """One record's entry; any failure becomes the entry's error, never the end of the scan.

    The dataset of a hospital export says its format before its folder ("GE MUSE XML · muse"); its
    diagnoses are the device's statements where the file has no codes."""
    dataset = header.parent.name
    export = formats.handles(header)
    try:
        ptbxl_root = labels.root_of(header)
        dataset = "PTB-XL" if ptbxl_root else _dataset_name(header, root)
        info = read_header(header)
        codes = labels.codes_of(header, ptbxl_root) if ptbxl_root else (info.labels or info.statements)
    except Exception as exc:  # RecordError, or a header no reader anticipated: list it with the reason, go on
        reason = exc.reason if isinstance(exc, RecordError) else f"{type(exc).__name__}: {exc}"
        dataset = f"{_format_name(header)} · {dataset}" if export else dataset
        return LibraryEntry(record_key(header), header, header.stem, dataset, error=reason)
    dataset = f"{info.source_format} · {dataset}" if export else dataset
    return LibraryEntry(record_key(header), header, info.name, dataset, info, tuple(codes))


def _format_name(path: Path) -> str:
    try:
        return formats.find_format(path).name
    except RecordError:
        return path.suffix.lstrip(".").upper() or "file"


def _dataset_name(header: Path, root: Path) -> str:
    """The folder a record sits in, relative to the opened folder (its own name at the top)."""
    base = root if root.is_dir() else root.parent
    try:
        relative = header.parent.relative_to(base)
    except ValueError:
        return header.parent.name
    return relative.as_posix() if relative.parts else base.name


class PtbxlLabels:
    """scp codes of records inside a PTB-XL folder (one with ``ptbxl_database.csv`` above them).

    Codes come most likely first. Folders and databases are looked up once per scan.
    """

    def __init__(self) -> None:
        self._root_of_folder: dict[Path, Path | None] = {}
        self._codes: dict[Path, dict[str, tuple[str, ...]]] = {}

    def root_of(self, header: Path) -> Path | None:
        folder = Path(os.path.abspath(header.parent))
        if folder not in self._root_of_folder:
            self._root_of_folder[folder] = next(
                (p for p in (folder, *folder.parents) if (p / PTBXL_DATABASE).is_file()), None)
        return self._root_of_folder[folder]

    def codes_of(self, header: Path, root: Path) -> tuple[str, ...]:
        if root not in self._codes:
            self._codes[root] = _read_database(root / PTBXL_DATABASE)
        try:
            relative = Path(os.path.abspath(header)).with_suffix("").relative_to(root).as_posix()
        except ValueError:
            return ()
        return self._codes[root].get(relative, ())


def _read_database(path: Path) -> dict[str, tuple[str, ...]]:
    """``filename_lr``/``filename_hr`` -> scp codes by decreasing likelihood; unreadable rows skipped."""
    table: dict[str, tuple[str, ...]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                try:
                    likelihoods = ast.literal_eval(row.get("scp_codes") or "{}")
                except (ValueError, SyntaxError):
                    continue
                codes = tuple(sorted(likelihoods, key=lambda c: -float(likelihoods[c])))
                for column in ("filename_lr", "filename_hr"):
                    if row.get(column):
                        table[row[column].strip()] = codes
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}
    return table
