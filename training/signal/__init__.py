"""Signal processing steps: filtering, resampling, windows, normalisation, and the pipeline of them."""

from training.signal.filters import butter_bandpass
from training.signal.normalize import NORMALIZATIONS, normalize
from training.signal.pipeline import STEPS, Bandpass, Normalize, Pipeline, Resample, SelectLeads, Signal
from training.signal.resample import resample
from training.signal.windows import fit_length, random_crop, sliding_windows, window_starts

__all__ = [
    "Bandpass", "NORMALIZATIONS", "Normalize", "Pipeline", "Resample", "STEPS", "SelectLeads", "Signal",
    "butter_bandpass", "fit_length", "normalize", "random_crop", "resample", "sliding_windows", "window_starts",
]
