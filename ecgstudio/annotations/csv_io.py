"""Annotations to and from CSV: the full-fidelity exchange format (every field, one row per annotation).

Columns: ``record_key, record_name, kind, lead, t0, t1, label, label_name, note, author, created_at,
updated_at, confirmed_by, confirmed_at``. ``kind`` is ``label`` (record-level; lead and times empty) or
``interval``; an empty ``lead`` means all leads; times are seconds from the record's start, written
with full float precision. ``label_name`` is the vocabulary's readable name, for people reading the file,
and is ignored on import, as is ``updated_at``. Only ``record_key, kind, label, author`` are required
on import (plus ``t0, t1`` for intervals), so hand-made files work.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path

from ecgstudio.annotations.errors import AnnotationFileError
from ecgstudio.annotations.model import INTERVAL, LABEL, Draft, ImportResult
from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.store import atomic_output

COLUMNS = ("record_key", "record_name", "kind", "lead", "t0", "t1", "label", "label_name", "note", "author",
           "created_at", "updated_at", "confirmed_by", "confirmed_at")
REQUIRED = ("record_key", "kind", "label", "author")


def export_csv(store: AnnotationStore, path: str | Path, record_keys: Iterable[str] | None = None) -> int:
    """Write the live annotations of ``record_keys`` (default: every record) atomically; returns rows."""
    names = {term.code: term.display for term in store.vocabulary(include_retired=True)}
    keys = store.record_keys() if record_keys is None else list(record_keys)
    rows = []
    for key in keys:
        record_name = (store.record_meta(key) or {}).get("name", "")
        for a in store.annotations(key):
            rows.append({
                "record_key": key, "record_name": record_name, "kind": a.kind, "lead": a.lead or "",
                "t0": _number(a.t0), "t1": _number(a.t1), "label": a.label, "label_name": names.get(a.label, ""),
                "note": a.note, "author": a.author, "created_at": a.created_at, "updated_at": a.updated_at,
                "confirmed_by": a.confirmed_by or "", "confirmed_at": a.confirmed_at or "",
            })
    try:
        with atomic_output(path) as temporary:
            with open(temporary, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(rows)
    except OSError as exc:
        raise AnnotationFileError(path, f"cannot write: {exc.strerror or exc}") from exc
    return len(rows)


def read_csv(path: str | Path) -> list[Draft]:
    """Parse and check an annotation CSV; raises :class:`AnnotationFileError` naming the bad line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return _parse(path, fh)
    except UnicodeDecodeError as exc:
        raise AnnotationFileError(path, f"not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise AnnotationFileError(path, f"cannot read: {exc.strerror or exc}") from exc


def import_csv(store: AnnotationStore, path: str | Path, actor: str) -> ImportResult:
    """Add a CSV's annotations to the library, all or nothing; identical ones already present are skipped."""
    return store.import_drafts(read_csv(path), actor, path)


def _parse(path: str | Path, fh) -> list[Draft]:
    reader = csv.reader(fh, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise AnnotationFileError(path, "the file is empty; expected a header row", 1) from None
    except csv.Error as exc:
        raise AnnotationFileError(path, f"malformed CSV: {exc}", 1) from exc
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise AnnotationFileError(path, f"header lacks column(s) {', '.join(missing)}", 1)
    drafts = []
    line = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return drafts
        except csv.Error as exc:
            raise AnnotationFileError(path, f"malformed CSV: {exc}", line) from exc
        if any(field.strip() for field in fields):
            if len(fields) != len(header):
                raise AnnotationFileError(path, f"{len(fields)} fields, the header has {len(header)}", line)
            drafts.append(_draft(path, line, dict(zip(header, fields))))
        line = reader.line_num + 1


def _draft(path: str | Path, line: int, row: dict[str, str]) -> Draft:
    def fail(reason: str) -> AnnotationFileError:
        return AnnotationFileError(path, reason, line)

    values = {name: (row.get(name) or "").strip() for name in COLUMNS}
    for name in REQUIRED:
        if not values[name]:
            raise fail(f"{name} is empty")
    kind = values["kind"]
    if kind not in (LABEL, INTERVAL):
        raise fail(f"kind must be {LABEL!r} or {INTERVAL!r}, got {kind!r}")
    times = {}
    for name in ("t0", "t1"):
        text = values[name]
        if kind == LABEL:
            if text or values["lead"]:
                raise fail("a record label has no lead, t0 or t1")
            continue
        try:
            times[name] = float(text)
        except ValueError:
            raise fail(f"{name} {text!r} is not a number of seconds") from None
        if not math.isfinite(times[name]):
            raise fail(f"{name} {text!r} is not a finite number of seconds")
    return Draft(
        line=line, record_key=values["record_key"], kind=kind, label=values["label"], author=values["author"],
        lead=values["lead"] or None, t0=times.get("t0"), t1=times.get("t1"), note=values["note"],
        record_name=values["record_name"], created_at=values["created_at"] or None,
        confirmed_by=values["confirmed_by"] or None, confirmed_at=values["confirmed_at"] or None,
    )


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)
