"""Exports: the one-page PDF ECG report (PNG snapshots come from ``EcgView.export_png``)."""

from ecgstudio.export.report import ReportAnnotation, write_ecg_report

__all__ = ["ReportAnnotation", "write_ecg_report"]
