"""Pulmonary-embolism work-up beside the ECG: the per-record form (Wells, PEGeD, YEARS, PERC), its audited
storage in the library file, and the cohort comparison of a model with the rules.

``form`` and ``store`` are plain Python; the views and ``controller`` (``attach_pe``) are Qt.
"""

from ecgstudio.pe.controller import PEController, attach_pe

__all__ = ["PEController", "attach_pe"]
