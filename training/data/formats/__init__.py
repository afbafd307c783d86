"""Hospital ECG export formats, each in its own module, behind one registry keyed by sniffing.

A file is matched by its extension first, then by a bounded peek at its first bytes
(:data:`HEAD_BYTES`), so an ``.xml`` goes to GE MUSE, Philips or HL7 aECG by what it is, and an
extension-less DICOM file is still found. WFDB records (``.hea``/``.dat``/``.mat``) are not here:
:mod:`training.data.readers` reads them and dispatches everything else to :func:`find_format`.
"""

from __future__ import annotations

from pathlib import Path

from training.data.formats import aecg, dicom, edf, muse, philips, scp  # noqa: F401 - each registers its format
from training.data.formats.common import to_info, to_record
from training.data.formats.registry import FORMATS, Format
from training.data.record import Record, RecordInfo
from training.errors import RecordError

#: How much of a file is read to recognise its format.
HEAD_BYTES = 4096

#: Every extension a hospital-format file may have (lower case, with the dot).
SUFFIXES: tuple[str, ...] = tuple(sorted({s for f in FORMATS.values() for s in f.suffixes if s}))


def handles(path: str | Path) -> bool:
    """Whether ``path`` is a file for this registry rather than a WFDB record name (a WFDB record
    whose name merely ends in ``.rec`` or ``.edf`` keeps going to the WFDB reader)."""
    path = Path(path)
    if path.with_name(path.name + ".hea").is_file():
        return False
    return path.suffix.lower() in SUFFIXES or (path.suffix == "" and path.is_file())


def find_format(path: Path) -> Format:
    """The format of ``path`` by extension and content; RecordError when none matches."""
    suffix = path.suffix.lower()
    candidates = [f for f in FORMATS.values() if suffix in f.suffixes]
    if not path.is_file():
        raise RecordError(path, "file not found")
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise RecordError(path, f"cannot read the file: {exc.strerror or exc}") from None
    for fmt in candidates:
        if fmt.sniff(head):
            return fmt
    if not head:
        raise RecordError(path, "the file is empty")
    names = ", ".join(f.name for f in candidates) or "any supported ECG format"
    raise RecordError(path, f"not a recognised ECG file: its content is not {names}")


def read_record(path: str | Path) -> Record:
    path = Path(path)
    return _guarded(path, lambda: to_record(find_format(path).decode(path)))


def read_header(path: str | Path) -> RecordInfo:
    path = Path(path)
    return _guarded(path, lambda: to_info(find_format(path).decode(path)))


def _guarded(path: Path, read):
    """The readers raise RecordError for everything they anticipate; content no check foresaw (a
    corrupt value deep inside a vendor library) still becomes a RecordError naming the file, so one
    bad export never stops a folder scan or a conversion."""
    try:
        return read()
    except RecordError:
        raise
    except MemoryError:
        raise RecordError(path, "not enough memory to read this file") from None
    except Exception as exc:  # noqa: BLE001 - the edge where untrusted content meets the engine
        raise RecordError(path, f"the file's content could not be decoded ({type(exc).__name__}: {exc})") from exc


def file_dialog_filter() -> str:
    """A Qt file-dialog filter listing every readable record file, WFDB first."""
    patterns = ["*.hea", "*.dat", "*.mat", *(f"*{s}" for s in SUFFIXES)]
    per_format = [f"{f.name} ({' '.join('*' + s for s in f.suffixes if s)})" for f in FORMATS.values()]
    return ";;".join([f"ECG records ({' '.join(patterns)})", "WFDB / PhysioNet (*.hea *.dat *.mat)",
                      *dict.fromkeys(per_format), "All files (*)"])
