"""The table of readable hospital formats: each format module files its decoder here at import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from training.data.formats.common import Decoded
from training.registry import registrar


@dataclass(frozen=True)
class Format:
    """One readable format: its name, the extensions it comes with, how its first bytes look, its decoder."""

    name: str
    suffixes: tuple[str, ...]
    sniff: Callable[[bytes], bool]
    decode: Callable[[Path], Decoded]


#: Format name -> Format, in registration order (the order ``.xml`` sniffers are tried).
FORMATS: dict[str, Format] = {}
_file = registrar(FORMATS, "record format")


def register_format(name: str, suffixes: tuple[str, ...], sniff: Callable[[bytes], bool]):
    """Decorator for a module's ``decode(path) -> Decoded``: files it under ``name`` (twice is an error)."""
    def wrap(decode: Callable[[Path], Decoded]) -> Callable[[Path], Decoded]:
        _file(name)(Format(name, suffixes, sniff, decode))
        return decode
    return wrap
