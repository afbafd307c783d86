"""Annotations to and from WFDB annotation files (``wfdb.wrann``/``rdann``), one file per record.

Encoding (readable by any WFDB tool; written as ``<record name>.ecgs`` beside nothing else):

- An interval is a ``(`` annotation at ``round(t0 * fs)`` and a ``)`` at ``round(t1 * fs)``, on channel
  ``chan`` = the lead's index in the record (0 when it covers all leads), WFDB's waveform-onset/offset
  convention. A record-level label is a ``"`` (NOTE) annotation at sample 1: wfdb readers treat notes
  at sample 0 as file metadata and drop them.
- The opening annotation's ``aux_note`` is a JSON object starting with ``{"id": n`` holding kind, label,
  lead (null = all leads), author, note, created_at, confirmed_by and confirmed_at; the ``)`` carries
  ``{"end": n}`` so crossing and nested intervals pair correctly. JSON is ASCII-escaped because the
  format stores one byte per character.
- ``aux_note`` holds at most 255 bytes (wfdb silently corrupts the file beyond that), so a longer
  payload continues in NOTE annotations whose ``aux_note`` is ``+n.k:`` followed by chunk ``k``.

Times come back as sample / fs, so they round-trip to within half a sample; use CSV for exact values.
Other annotations in an imported file (beats, rhythm notes...) are counted as skipped, not imported; a
file with none of ours (another tool's, or bytes that only look like annotations) is refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import wfdb

from ecgstudio.annotations.errors import AnnotationFileError
from ecgstudio.annotations.model import INTERVAL, LABEL, Annotation, Draft, ImportResult
from ecgstudio.annotations.store import AnnotationStore
from ecgstudio.store import atomic_output

EXTENSION = "ecgs"
LABEL_SAMPLE = 1
_CHUNK = 240
_ANCHOR = re.compile(r'^\{"id": (\d+)')
_CONTINUATION = re.compile(r"^\+(\d+)\.(\d+):")
_END = re.compile(r'^\{"end": (\d+)\}$')


def export_wfdb(store: AnnotationStore, record_key: str, write_dir: str | Path, extension: str = EXTENSION) -> Path:
    """Write one record's live annotations to ``write_dir/<record name>.<extension>`` atomically."""
    meta = store.record_meta(record_key) or {}
    target = Path(write_dir) / f"{meta.get('name') or 'record'}.{extension}"
    if not meta.get("fs"):
        raise AnnotationFileError(target, "the record's sampling rate is unknown; open the record first")
    annotations = store.annotations(record_key)
    if not annotations:
        raise AnnotationFileError(target, "nothing to export: the record has no annotations")
    items: list[tuple[int, str, int, str]] = []
    for number, annotation in enumerate(annotations, 1):
        items += _encode(number, annotation, meta["fs"], meta.get("leads") or ())
    items.sort(key=lambda item: item[0])  # stable: an annotation's continuation notes stay after it
    samples, symbols, chans, notes = zip(*items)
    try:
        with atomic_output(target) as temporary:
            wfdb.wrann(meta["name"], extension, np.array(samples, dtype=np.int64), symbol=list(symbols),
                       chan=np.array(chans, dtype=np.int64), aux_note=list(notes), fs=meta["fs"],
                       write_dir=str(temporary.parent))
    except (OSError, ValueError) as exc:
        raise AnnotationFileError(target, f"cannot write: {exc}") from exc
    return target


def read_wfdb(path: str | Path, record_key: str, fs: float | None = None) -> tuple[list[Draft], int]:
    """Decode an annotation file written by :func:`export_wfdb`: (drafts, annotations skipped).

    ``fs`` is used when the file does not state its sampling rate. Raises :class:`AnnotationFileError`
    naming the annotation (1-based) that is malformed or unpaired.
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotationFileError(path, "file not found")
    try:
        ann = wfdb.rdann(str(path.with_suffix("")), path.suffix.lstrip("."))
    except Exception as exc:  # wfdb raises bare Exceptions, IndexError, ValueError on foreign bytes
        raise AnnotationFileError(path, f"not a readable WFDB annotation file ({type(exc).__name__}: {exc})") from exc
    fs = ann.fs or fs
    if not fs:
        raise AnnotationFileError(path, "the file does not state its sampling rate and none was given")
    anchors: dict[int, tuple[int, int, str, str]] = {}
    parts: dict[int, dict[int, str]] = {}
    ends: dict[int, int] = {}
    skipped = 0
    aux_notes = ann.aux_note or [""] * len(ann.sample)
    for index, (sample, symbol, aux) in enumerate(zip(ann.sample, ann.symbol, aux_notes), 1):
        aux = aux or ""
        if symbol in ('(', '"') and (match := _ANCHOR.match(aux)):
            anchors[int(match[1])] = (index, int(sample), symbol, aux)
        elif symbol == '"' and (match := _CONTINUATION.match(aux)):
            parts.setdefault(int(match[1]), {})[int(match[2])] = aux[match.end():]
        elif symbol == ')' and (match := _END.match(aux)):
            ends[int(match[1])] = int(sample)
        else:
            skipped += 1
    if not anchors:
        raise AnnotationFileError(path, f"holds no ECG Studio annotations ({skipped} other annotation(s))")
    orphans = sorted(set(ends) - set(anchors))
    if orphans:
        raise AnnotationFileError(path, f"interval end(s) numbered {orphans} have no start")
    drafts = [_decode(path, number, anchors[number], parts.get(number, {}), ends.get(number), fs, record_key)
              for number in sorted(anchors, key=lambda n: anchors[n][0])]
    return drafts, skipped


def import_wfdb(store: AnnotationStore, path: str | Path, record_key: str, actor: str) -> ImportResult:
    """Add a WFDB annotation file's annotations to ``record_key``, all or nothing; duplicates skipped."""
    meta = store.record_meta(record_key) or {}
    drafts, skipped = read_wfdb(path, record_key, meta.get("fs"))
    result = store.import_drafts(drafts, actor, path)
    return ImportResult(result.added, result.duplicates, skipped)


def _encode(number: int, a: Annotation, fs: float, leads: tuple[str, ...]) -> list[tuple[int, str, int, str]]:
    """(sample, symbol, chan, aux_note) of one annotation: its opening, continuations and end."""
    payload = json.dumps({"id": number, "kind": a.kind, "label": a.label, "lead": a.lead, "author": a.author,
                          "note": a.note, "created_at": a.created_at, "confirmed_by": a.confirmed_by,
                          "confirmed_at": a.confirmed_at}, ensure_ascii=True)
    chunks = [payload[i:i + _CHUNK] for i in range(0, len(payload), _CHUNK)]
    chan = leads.index(a.lead) if a.lead in leads else 0
    start = LABEL_SAMPLE if a.kind == LABEL else round(a.t0 * fs)
    items = [(start, '"' if a.kind == LABEL else "(", chan, chunks[0])]
    items += [(max(start, 1), '"', chan, f"+{number}.{k}:{chunk}") for k, chunk in enumerate(chunks[1:], 1)]
    if a.kind == INTERVAL:
        items.append((max(round(a.t1 * fs), start + 1), ")", chan, json.dumps({"end": number})))
    return items


def _decode(path: Path, number: int, anchor: tuple[int, int, str, str], parts: dict[int, str], end: int | None,
            fs: float, record_key: str) -> Draft:
    index, sample, symbol, head = anchor

    def fail(reason: str) -> AnnotationFileError:
        return AnnotationFileError(path, reason, index, unit="annotation")

    if sorted(parts) != list(range(1, len(parts) + 1)):
        raise fail(f"continuation notes of annotation {number} are incomplete")
    try:
        payload = json.loads(head + "".join(parts[k] for k in sorted(parts)))
    except json.JSONDecodeError as exc:
        raise fail(f"its note is not valid ECG Studio JSON ({exc.msg})") from exc
    if not isinstance(payload, dict):
        raise fail("its note is not a JSON object")
    kind = LABEL if symbol == '"' else INTERVAL
    if payload.get("kind", kind) != kind:
        raise fail(f"its note says kind {payload.get('kind')!r} but the symbol {symbol!r} means {kind!r}")
    if kind == INTERVAL and end is None:
        raise fail("interval start '(' has no matching end ')'")
    return Draft(
        line=index, record_key=record_key, kind=kind, label=_text(payload, "label", fail),
        author=_text(payload, "author", fail), lead=_text(payload, "lead", fail, optional=True),
        t0=sample / fs if kind == INTERVAL else None, t1=end / fs if kind == INTERVAL else None,
        note=_text(payload, "note", fail, optional=True) or "",
        created_at=_text(payload, "created_at", fail, optional=True),
        confirmed_by=_text(payload, "confirmed_by", fail, optional=True),
        confirmed_at=_text(payload, "confirmed_at", fail, optional=True),
    )


def _text(payload: dict[str, Any], key: str, fail, optional: bool = False) -> str | None:
    value = payload.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not (optional or value.strip()):
        raise fail(f"its note lacks a text {key!r}")
    return value
