"""Typed errors of annotating: each names what was refused and why, for the panel to show inline."""

from __future__ import annotations

from pathlib import Path

from training.errors import ECGError


class AnnotationError(ECGError):
    """Base class of every annotation error."""


class InvalidAnnotation(AnnotationError):
    """A value the store refuses: empty label, interval outside the record, unknown lead..."""


class AnnotationNotFound(AnnotationError):
    """No live annotation has that id (never existed, or was deleted)."""


class NotAuthorError(AnnotationError):
    """Only an annotation's author may edit, delete or confirm it."""

    def __init__(self, action: str, author: str, actor: str):
        self.action, self.author, self.actor = action, author, actor
        super().__init__(f"only {author} can {action} this annotation (you are annotating as {actor})")


class AnnotationFileError(AnnotationError):
    """An import file that is malformed, or an export that cannot be written.

    ``line`` is 1-based; ``unit`` says what it counts ("line" in CSV, "annotation" in WFDB files).
    """

    def __init__(self, path: str | Path, reason: str, line: int | None = None, unit: str = "line"):
        self.path, self.reason, self.line = Path(path), reason, line
        where = f"{self.path}, {unit} {line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {reason}")
