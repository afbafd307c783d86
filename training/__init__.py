"""ECG Studio's headless engine: records, preprocessing, models, training, explanation.

Importable without Qt so that the CLI, the tests and the GUI's worker processes all share one
implementation of the science.
"""

from training.version import __version__

__all__ = ["__version__"]
