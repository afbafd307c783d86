"""Where a record came from, for the line over the sheet: its device, acquisition time, what the
reader derived or trimmed, and the electrocardiograph's own measurements (MUSE, Philips, aECG,
DICOM, SCP), so a reader can hold the machine's numbers against ECG Studio's."""

from __future__ import annotations

from html import escape

from training.data import RecordInfo

#: Device measurement keys (those of ``training.measure``'s "global" object) in print order.
MEASUREMENT_LABELS = (
    ("hr_bpm", "HR", "bpm"), ("rr_ms", "RR", "ms"), ("p_ms", "P", "ms"), ("pr_ms", "PR", "ms"),
    ("qrs_ms", "QRS", "ms"), ("qt_ms", "QT", "ms"), ("qtc_ms", "QTc", "ms"), ("qtc_bazett_ms", "QTcB", "ms"),
    ("p_axis_deg", "P axis", "°"), ("qrs_axis_deg", "QRS axis", "°"), ("t_axis_deg", "T axis", "°"),
)


def device_measurements_text(info: RecordInfo) -> str:
    """``PR 148 ms · QRS 120 ms · …`` from the device's measurements, or "" when it gave none."""
    values = info.device_measurements
    return " · ".join(f"{label} {values[key]:g} {unit}".replace(" °", "°")
                      for key, label, unit in MEASUREMENT_LABELS if key in values)


def source_html(info: RecordInfo) -> str:
    """A second header line for records from hospital exports; "" for WFDB records without extras.
    (The format is in the dataset and the device's statements are the diagnoses, both on the first line.)"""
    parts = []
    if info.device:
        parts.append(f"device {escape(info.device)}")
    if info.start is not None and info.source_format != "WFDB":
        parts.append(f"acquired {info.start:%Y-%m-%d %H:%M:%S}")
    if info.derived_leads:
        parts.append(f"derived leads {', '.join(info.derived_leads)}")
    trimmed = info.metadata.get("calibration_trimmed") if info.metadata else None
    if trimmed:
        parts.append(f"{trimmed['pulse_mV']:g} mV calibration pulse trimmed ({trimmed['seconds']:g} s)")
    measured = device_measurements_text(info)
    if measured:
        parts.append(f"<span style='color:#5a3d8a'>device measurements: {escape(measured)}</span>")
    return " · ".join(parts)
