"""Finding the records in a file or folder: WFDB headers and hospital exports alike.

One place for the library scan and ``convert`` to agree on what a record file is.
"""

from __future__ import annotations

from pathlib import Path

from training.data import formats
from training.data.readers import header_path_of
from training.errors import RecordError


def find_records(path: str | Path) -> list[Path]:
    """The record files of ``path``: a WFDB header (for any of a record's files) or a hospital export
    (GE MUSE, Philips, aECG, DICOM, EDF, SCP-ECG) given as a file, or every one at any depth below a
    folder (sorted). An ``.xml`` whose first bytes are no ECG format is not a record and is skipped;
    a broken ``.dcm``/``.edf``/``.scp`` is kept, so that its reader can say what is wrong with it."""
    path = Path(path)
    if path.is_file():
        return [path] if formats.handles(path) else [header_path_of(path)]
    found = []
    for candidate in path.rglob("*"):
        suffix = candidate.suffix.lower()
        if suffix == ".hea" or (suffix in formats.SUFFIXES and candidate.is_file() and _is_record_file(candidate)):
            found.append(candidate)
    return sorted(found)


def _is_record_file(path: Path) -> bool:
    if path.suffix.lower() != ".xml":
        return True
    try:
        formats.find_format(path)
    except RecordError:
        return False
    return True
