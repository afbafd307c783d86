"""Inference and explanation speed of the bundled model on CPU (issue 7).

Latency covers the whole app path for one 10 s PTB-XL record already read: preprocessing (band-pass,
resampling, z-score) plus the forward pass. LIME uses 1000 perturbations of 0.5 s x 12-lead segments.
Timed with 2 threads, the budget the app's CPU target gives it.
"""

from __future__ import annotations

import torch

from benchmarks import Row, benchmark
from benchmarks.shared import SHARED, best_of
from ecgstudio.paths import resources_dir
from training.data.readers import read_record
from training.explain import ExplainConfig, explain_lime, explain_occlusion
from training.inference import Predictor

MODEL = resources_dir() / "models" / "ptbxl_superclass_resnet1d18"
RECORD = SHARED / "ptbxl" / "records100" / "00000" / "00001_lr"


@benchmark("inference")
def inference() -> list[Row]:
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        predictor = Predictor.from_path(MODEL, "cpu")
        record = read_record(RECORD)
        x = predictor.preprocess(record)
        args = (x, predictor.fs, tuple(predictor.card.leads), predictor.predict_batch, 0)
        predictor.predict(record)  # warm-up
        latency = best_of(lambda: predictor.predict(record), repeats=10)
        lime = best_of(lambda: explain_lime(*args, ExplainConfig(n_samples=1000)), repeats=2)
        occlusion = best_of(lambda: explain_occlusion(*args, ExplainConfig()), repeats=2)
    finally:
        torch.set_num_threads(threads)
    size_mb = MODEL.with_suffix(".safetensors").stat().st_size / 2**20
    return [Row("predict one 10 s record", latency * 1000, "ms", "<= 30", "bundled model, 2 threads"),
            Row("LIME, 1000 perturbations", lime, "s", "<= 2", "0.5 s segments x 12 leads"),
            Row("occlusion", occlusion, "s", "", "241 model calls"),
            Row("bundled model file", size_mb, "MiB", "<= 20", "")]
