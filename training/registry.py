"""The one way the engine's registries (models, losses, augmentations) file things by name."""

from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


def registrar(table: dict[str, T], kind: str) -> Callable[[str], Callable[[T], T]]:
    """A decorator factory: ``register(name)(obj)`` files ``obj`` in ``table``, refusing a name twice.

    A second registration under the same name is a programming error (two modules claiming one
    architecture or loss), so it fails loudly at import rather than silently replacing the first.
    """
    def register(name: str) -> Callable[[T], T]:
        def wrap(obj: T) -> T:
            if name in table:
                raise ValueError(f"{kind} {name!r} registered twice")
            table[name] = obj
            return obj
        return wrap
    return register
