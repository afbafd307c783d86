"""The ECG paper view: pyqtgraph items and the widget that arranges them, kept apart from record data."""

from ecgstudio.plot.ecg_view import EcgView
from ecgstudio.plot.layout import PRINT, STACKED

__all__ = ["EcgView", "PRINT", "STACKED"]
