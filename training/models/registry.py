"""Model registry: name -> constructor(n_leads, n_classes, **config)."""

from __future__ import annotations

from typing import Callable

from training.errors import ConfigError
from training.registry import registrar
from training.models.base import ECGModel

MODELS: dict[str, Callable[..., ECGModel]] = {}


#: Class or factory decorator: ``@register_model("resnet1d18")``.
register_model = registrar(MODELS, "model")


def model_names(task: str | None = "classification") -> list[str]:
    """Registered architectures of ``task`` (``"classification"``: what the training dialog and configs
    offer; ``"segmentation"``: per-sample delineators; ``None``: all)."""
    _load_all()
    return sorted(name for name, factory in MODELS.items()
                  if task is None or getattr(factory, "task", "classification") == task)


def build_model(name: str, n_leads: int, n_classes: int, **config) -> ECGModel:
    """Build a registered architecture; unknown names and bad options raise :class:`ConfigError`."""
    _load_all()
    if name not in MODELS:
        raise ConfigError("model.name", f"unknown architecture {name!r}; known: {', '.join(sorted(MODELS))}")
    try:
        return MODELS[name](n_leads=n_leads, n_classes=n_classes, **config)
    except TypeError as exc:
        raise ConfigError(f"model.{name}", str(exc)) from None


def _load_all() -> None:
    """Import the architecture modules so their decorators run (cheap after the first call)."""
    import training.models.zoo  # noqa: F401
