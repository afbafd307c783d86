"""ECG Studio's headless engine: records, preprocessing, models, training, explanation.

Importable without Qt so that the CLI, the tests and the GUI's worker processes all share one
implementation of the science.
"""

__version__ = "0.1.0"
