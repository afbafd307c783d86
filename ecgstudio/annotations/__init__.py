"""Clinician annotations of ECG records: record labels and interval marks, audited, in the library file.

``store`` and the I/O modules are plain Python (usable from scripts and the engine); ``panel`` is the Qt view.
"""

from ecgstudio.annotations.errors import (AnnotationError, AnnotationFileError, AnnotationNotFound, InvalidAnnotation,
                                          NotAuthorError)
from ecgstudio.annotations.keys import record_key
from ecgstudio.annotations.model import Annotation, ImportResult, Mark, Term
from ecgstudio.annotations.store import AnnotationStore

__all__ = ["Annotation", "AnnotationError", "AnnotationFileError", "AnnotationNotFound", "AnnotationStore",
           "ImportResult", "InvalidAnnotation", "Mark", "NotAuthorError", "Term", "record_key"]
