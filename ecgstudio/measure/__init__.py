"""The measurement feature of the app: panel, plot markers, caliper corrections, report line, CSV."""

from ecgstudio.measure.controller import MeasureController, attach_measure

__all__ = ["MeasureController", "attach_measure"]
