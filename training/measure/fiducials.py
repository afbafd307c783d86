"""Names and layout of the fiducial points, shared by the delineator, the measurements and the views.

A delineation is an array ``[beats, leads, 9]`` of sample indices (float, ``NaN`` where a wave is
absent or could not be located), in the column order of :data:`FIDUCIALS`.
"""

from __future__ import annotations

#: Column order of a delineation array and the key names of a beat in the JSON output.
FIDUCIALS: tuple[str, ...] = ("p_on", "p_peak", "p_off", "qrs_on", "r_peak", "qrs_off", "t_on", "t_peak", "t_off")
P_ON, P_PEAK, P_OFF, QRS_ON, R_PEAK, QRS_OFF, T_ON, T_PEAK, T_OFF = range(len(FIDUCIALS))
#: The three waves and their (onset, peak, offset) columns.
WAVES: dict[str, tuple[int, int, int]] = {"P": (P_ON, P_PEAK, P_OFF), "QRS": (QRS_ON, R_PEAK, QRS_OFF),
                                          "T": (T_ON, T_PEAK, T_OFF)}
#: Onsets take the earliest lead, offsets the latest (the usual global definition); peaks the median.
ONSETS = (P_ON, QRS_ON, T_ON)
OFFSETS = (P_OFF, QRS_OFF, T_OFF)
PEAKS = (P_PEAK, R_PEAK, T_PEAK)
