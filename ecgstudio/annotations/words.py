"""Annotation labels in words: a stored label is a vocabulary code, a code list ("713427006|59118001",
as CinC headers join equivalent SNOMED codes) or free text; people read names, not codes."""

from __future__ import annotations

from training.data.labels import describe_code

#: How equivalent codes are joined in a stored label.
CODE_SEPARATOR = "|"


def label_in_words(label: str, vocabulary: dict[str, str] | None = None) -> str:
    """``label`` as a reader says it: the vocabulary's name for a code, else the standard name of
    each code (SNOMED, CPSC, PTB-XL), else the text itself."""
    vocabulary = vocabulary or {}
    if label in vocabulary:
        return vocabulary[label]
    parts = [part.strip() for part in label.split(CODE_SEPARATOR) if part.strip()]
    named = [vocabulary.get(part) or describe_code(part) for part in parts]
    return " / ".join(dict.fromkeys(named)) if named else label
