"""``ecgstudio --smoke``: drive each main feature once, offscreen, and report how long each step took.

Why: a packaged app can build fine and still fail at run time (a library, a data file or a Qt plugin
left out of the bundle). This walks the real code paths a user would — open and plot a bundled
sample in the main window, run the bundled model, explain its top class, score Wells from the ECG's
heart rate, and start and cancel a training job in an engine child process — so the same command
checks a source checkout (``python -m ecgstudio --smoke``) and a built bundle (``dist/ecgstudio/ecgstudio
--smoke``; there the engine child is the frozen executable itself, through its ``--engine`` entry).

Exit status 0 when every step passed; 1 with ``smoke FAILED at <step>: <reason>`` on stderr otherwise.
Nothing is written outside a temporary folder (the window's settings included).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt creates its application

import numpy as np  # noqa: E402

from ecgstudio.paths import resources_dir, samples_dir  # noqa: E402
from training.version import __version__  # noqa: E402

#: The PTB-XL sample the smoke opens (12 leads, 10 s at 500 Hz: what the bundled model expects).
SAMPLE = Path("ptbxl") / "records500" / "00000" / "00009_hr.hea"
MODEL = Path("models") / "ptbxl_superclass_resnet1d18.safetensors"
#: LIME evaluations for the explanation: enough to run every stage, far fewer than the app's default.
EXPLAIN_SAMPLES = 100
TIMEOUT_S = 180.0
SMOKE_LABEL, SMOKE_READER = "smoke check", "Smoke reader"
#: Smaller than any real export (a paper ECG PNG or one-page PDF is tens of KiB and more).
MIN_EXPORT_BYTES = 10_000
#: At most this many bundled PTB-XL samples in the cohort (there are 5), and bootstrap resamples: enough to
#: fill the table, quick.
COHORT_RECORDS, COHORT_BOOT = 8, 20


class SmokeError(RuntimeError):
    """A step ran but did not do what it should (as opposed to raising on its own)."""


class Smoke:
    """The steps, in order; each returns a one-line detail and may leave state for the next ones."""

    def __init__(self, workdir: Path):
        from PySide6.QtWidgets import QApplication

        self.workdir = workdir
        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.record = None
        self.settings = None
        self.window = None
        self.predictor = None
        self.prediction = None

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [("read record", self.read_record), ("flac record", self.flac_record),
                ("open + plot", self.open_and_plot), ("annotations", self.annotations), ("export", self.export),
                ("measurement", self.measurement), ("inference", self.inference),
                ("explanation", self.explanation), ("wells", self.wells), ("cohort", self.cohort),
                ("training job", self.training_job), ("hpo", self.hpo)]

    def release(self) -> None:
        """Close the window and write the settings while the smoke's folder still exists: objects of a
        failed step, collected only at exit, would otherwise write settings.ini and so recreate the
        folder after it was removed (a failed smoke as another user left it in /tmp)."""
        import gc

        if self.window is not None:
            self.window.close()
            self.window = None
        gc.collect()
        if self.settings is not None:
            self.settings.sync()

    def wait_until(self, condition: Callable[[], bool], what: str, timeout_s: float = TIMEOUT_S) -> None:
        """Run the event loop until ``condition()``; background tasks report through it."""
        deadline = time.perf_counter() + timeout_s
        while not condition():
            if time.perf_counter() > deadline:
                raise SmokeError(f"timed out after {timeout_s:.0f} s waiting for {what}")
            self.app.processEvents()
            time.sleep(0.005)

    # ------------------------------------------------------------------ steps
    def read_record(self) -> str:
        from training.data import read_record

        self.record = read_record(samples_dir() / SAMPLE)
        r = self.record
        return f"{r.name}: {r.n_leads} leads, {r.duration:.1f} s at {r.fs:g} Hz"

    def flac_record(self) -> str:
        """A WFDB record in the FLAC format 516, written with wfdb and read back (soundfile, cffi, libsndfile)."""
        import wfdb

        from training.data import read_record

        signal = self.record.signal[:2, :2000].T.astype(np.float64)
        wfdb.wrsamp("flac516", fs=self.record.fs, units=["mV", "mV"], sig_name=["I", "II"], p_signal=signal,
                    fmt=["516", "516"], adc_gain=[1000.0, 1000.0], baseline=[0, 0], write_dir=str(self.workdir))
        back = read_record(self.workdir / "flac516")
        error = float(np.max(np.abs(back.signal - signal.T)))
        if back.signal.shape != (2, 2000) or error > 1e-3:
            raise SmokeError(f"the FLAC record read back as {back.signal.shape}, largest error {error:.3g} mV")
        return f"2 leads x 2000 samples, largest error {error * 1000:.2f} uV"

    def open_and_plot(self) -> str:
        from PySide6.QtCore import QSettings

        from ecgstudio.__main__ import build_window

        self.settings = QSettings(str(self.workdir / "settings.ini"), QSettings.IniFormat)
        # the window the ecgstudio command shows (every feature attached), its library in the smoke's folder
        self.window = build_window(self.settings, library=str(self.workdir / "library.sqlite"))
        self.window.show()
        self.window.open_path(samples_dir() / SAMPLE)
        self.wait_until(lambda: self.window.record is not None and self.window.peaks is not None,
                        "the record to be listed, plotted and its beats detected")
        if self.window.record.name != self.record.name:
            raise SmokeError(f"the window shows {self.window.record.name}, not {self.record.name}")
        image = self.window.grab()
        if image.isNull():
            raise SmokeError("the window could not be rendered")
        missing = [name for name, feature in self.window.features.items() if feature is None]
        if missing:
            raise SmokeError(f"features not attached: {', '.join(missing)}")
        return f"{image.width()}x{image.height()} px, {len(self.window.peaks)} beats, {len(self.window.features)} panels"

    def annotations(self) -> str:
        """An interval on the open record through the window's annotation store, read back with its audit row."""
        controller = self.window.features["annotations"]
        key = self.window.context.record.content_key
        made = controller.store.add_interval(key, "II", 1.0, 2.0, SMOKE_LABEL, SMOKE_READER, note="smoke")
        back = [a for a in controller.store.annotations(key) if a.id == made.id]
        if not back or (back[0].label, back[0].lead, back[0].t0, back[0].t1) != (SMOKE_LABEL, "II", 1.0, 2.0):
            raise SmokeError(f"annotation {made.id} did not read back as written: {back}")
        audit = controller.store.history(made.id)
        if [(e.action, e.actor) for e in audit] != [("create", SMOKE_READER)] or audit[0].new["label"] != SMOKE_LABEL:
            raise SmokeError(f"annotation {made.id} has the audit rows {audit}, not one create by {SMOKE_READER}")
        if not any(r.label == SMOKE_LABEL for r in controller.report_annotations()):
            raise SmokeError("the annotation is missing from the report's annotation section")
        library = controller.store.db.path
        if library is None or library.parent != self.workdir or not library.is_file():
            raise SmokeError(f"the annotation went to {controller.store.db}, not the smoke's own library")
        return f"interval #{made.id} read back from {library.name}; audit: {audit[0].action} by {audit[0].actor}"

    def export(self) -> str:
        """The open record as a PNG and as the PDF report (with the annotation just made), as File > Export writes them."""
        from PySide6.QtGui import QImage

        png, pdf = self.workdir / "record.png", self.workdir / "report.pdf"
        if not self.window.export_png(png):
            raise SmokeError(f"the PNG export failed: {self.window.statusBar().currentMessage()}")
        if self.window.export_pdf(pdf) is None:
            raise SmokeError("the PDF export wrote nothing")
        for path, signature in ((png, b"\x89PNG\r\n\x1a\n"), (pdf, b"%PDF-")):
            if not path.is_file() or path.stat().st_size < MIN_EXPORT_BYTES:
                raise SmokeError(f"{path.name} is missing or under {MIN_EXPORT_BYTES} bytes")
            if path.read_bytes()[:len(signature)] != signature:
                raise SmokeError(f"{path.name} does not start with the {signature!r} signature")
        image = QImage(str(png))
        if image.isNull() or image.width() < 800 or image.height() < 400:
            raise SmokeError(f"the PNG is {image.width()}x{image.height()} px, not a readable paper ECG")
        return (f"PNG {image.width()}x{image.height()} px {png.stat().st_size // 1024} KiB, "
                f"PDF {pdf.stat().st_size // 1024} KiB")

    def measurement(self) -> str:
        """The engine's measurement of the open record, with the shipped U-Net delineator."""
        from training.measure.engine import _shipped_segmenter, measure
        from training.measure.segnet import default_network_path

        result = measure(self.record)
        q, g = result.quality, result.global_
        if q.get("refused"):
            raise SmokeError(f"the measurement refused the record: {q['refused']}")
        for name, low, high in (("hr_bpm", 30, 220), ("qrs_ms", 50, 200)):
            value = g.get(name)
            if value is None or not np.isfinite(value) or not low <= value <= high:
                raise SmokeError(f"{name} = {value}, not a number within {low}-{high}")
        network = (q.get("delineator") or {}).get("network", [])
        if not network or _shipped_segmenter() is None:
            raise SmokeError(f"the U-Net delineator did not run ({default_network_path()}): notes {q.get('notes')}")
        return (f"HR {g['hr_bpm']:.0f} bpm, QRS {g['qrs_ms']:.0f} ms, {result.n_beats} beats; "
                f"{'/'.join(network)} by {default_network_path().name}")

    def inference(self) -> str:
        from training.inference import Predictor

        self.predictor = Predictor.from_path(resources_dir() / MODEL, "cpu")
        self.prediction = self.predictor.predict(self.record)
        p = self.prediction
        if not np.all(np.isfinite(p.probs)):
            raise SmokeError(f"the model returned non-finite probabilities {p.probs}")
        top = int(np.argmax(p.probs))
        return f"{p.display[top]} {p.probs[top]:.2f} (positive: {', '.join(p.labels) or 'none'})"

    def explanation(self) -> str:
        from training.explain import ExplainConfig
        from training.explain_record import explain_record

        top = int(np.argmax(self.prediction.probs))
        result = explain_record(self.predictor, self.record, top, ExplainConfig(n_samples=EXPLAIN_SAMPLES))
        best = result.top(1)
        if not best:
            raise SmokeError("the explanation has no segment")
        lead, t0, t1, _weight = best[0]
        return f"{EXPLAIN_SAMPLES} LIME samples + occlusion; top segment {lead} {t0:.2f}-{t1:.2f} s"

    def wells(self) -> str:
        from training.clinical.rules import PEFindings, wells
        from training.signal.rpeaks import mean_heart_rate

        rate = mean_heart_rate(self.window.peaks, self.record.fs)
        if rate is None:
            raise SmokeError("fewer than two beats detected: no heart rate for Wells")
        findings = PEFindings(dvt_signs=False, pe_most_likely=True, heart_rate=rate,
                              immobilisation_or_surgery=False, previous_vte=False, haemoptysis=False,
                              malignancy=False)
        result = wells(findings)
        return f"heart rate {rate:.0f} bpm -> score {result.score:g} ({result.two_tier})"

    def cohort(self) -> str:
        """The PE cohort comparison (the engine's run the cohort window starts) on a SYNTHETIC demo cohort
        of bundled samples: a table with the model's and the rules' rows."""
        from training.clinical.cohort_run import run_cohort, write_reports
        from training.clinical.demo import write_demo_cohort

        records = sorted((samples_dir() / "ptbxl").rglob("*.hea"))[:COHORT_RECORDS]
        cohort = write_demo_cohort(records, self.workdir / "cohort", seed=0)
        run = run_cohort(cohort, resources_dir() / MODEL, self.predictor.classes[0], n_boot=COHORT_BOOT, device="cpu")
        names = [row.name for row in run.comparison.rows]
        rules = {"Wells", "PEGeD", "YEARS"}
        if not any(n.startswith("Model") for n in names) or not rules <= {n.split()[0] for n in names}:
            raise SmokeError(f"the comparison table has the rows {names}, not the model's and {sorted(rules)}")
        csv_path, html_path = write_reports(run.comparison, self.workdir / "cohort")
        if not csv_path.is_file() or not html_path.is_file():
            raise SmokeError("the comparison reports were not written")
        return f"{len(records) - len(run.failures)} patients, {len(names)} rows ({', '.join(names[:4])}...)"

    def training_job(self) -> str:
        """A real job through the job manager, cancelled after its first training step."""
        from ecgstudio.jobs.manager import CANCELLED, FINISHED, JobManager
        from ecgstudio.engine_entry import engine_command
        from ecgstudio.jobs.spec import JobSpec
        from ecgstudio.store.db import Database

        manager = JobManager(Database(self.workdir / "library.sqlite"), None, self.workdir / "jobs", kill_after_s=5.0)
        job = manager.submit(JobSpec(self._tiny_job_config(), title="smoke"))
        try:
            self.wait_until(lambda: job.progress > 0 or job.status in FINISHED, "the engine's first training step")
            if job.status in FINISHED:
                raise SmokeError(f"the job {job.status} before it trained: {job.message or job.log[-3:]}")
            pid = job.pid
            manager.cancel(job)
            self.wait_until(lambda: job.status in FINISHED, "the engine to stop after cancel", 60.0)
        finally:
            manager.shutdown()
        if job.status != CANCELLED:
            raise SmokeError(f"cancel ended the job as {job.status!r}: {job.message}")
        if job.output_model or (job.folder / "partial").exists():
            raise SmokeError("the cancelled job left a model behind")
        return f"engine {' '.join(Path(a).name for a in engine_command())} (pid {pid}) started and cancelled"

    def hpo(self) -> str:
        """One Optuna trial of one epoch through the engine (the bundle's frozen one), in SQLite storage:
        the search, the optimizer (torch's compiler stack loads with it) and the study file."""
        import json
        import subprocess

        from ecgstudio.engine_entry import engine_command

        config = self._tiny_job_config()
        config["name"], config["train"] = "smoke-hpo", {**config["train"], "epochs": 1}
        config["output"] = str(self.workdir / "hpo-runs")
        path = self.workdir / "hpo.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        storage = self.workdir / "hpo.sqlite3"
        done = subprocess.run([*engine_command(), "hpo", "--config", str(path), "--trials", "1", "--threads", "1",
                               "--progress", "plain", "--storage", f"sqlite:///{storage}"],
                              capture_output=True, text=True, timeout=TIMEOUT_S * 2)
        if done.returncode != 0:
            raise SmokeError(f"the HPO run failed ({done.returncode}): {(done.stderr or done.stdout)[-600:]}")
        best = next((line for line in done.stdout.splitlines() if line.startswith("best trial")), None)
        if best is None or not storage.is_file():
            raise SmokeError(f"the HPO run reported no best trial: {done.stdout[-600:]}")
        return best[:90]

    def _tiny_job_config(self) -> dict:
        """ResNet1d-18 of width 4 on the bundled PTB-XL samples. They all sit in fold 10 (PTB-XL's test
        fold), so a copy of the folder spreads them over the train, validation and test folds."""
        import pandas as pd

        data = self.workdir / "ptbxl"
        if not data.exists():  # the training job and the HPO run share the copy
            shutil.copytree(samples_dir() / "ptbxl", data)
            table = pd.read_csv(data / "ptbxl_database.csv")
            table["strat_fold"] = [9, 10, *range(1, len(table) - 1)]  # validation, test, then training folds
            table.to_csv(data / "ptbxl_database.csv", index=False)
        return {"name": "smoke", "device": "cpu", "seed": 0,
                "data": {"path": str(data), "kind": "ptbxl", "record_fs": 500, "seconds": 2.5, "cache": False},
                "model": {"name": "resnet1d18", "options": {"width": 4}},
                "train": {"epochs": 1000, "batch_size": 4, "patience": 0, "monitor": "loss"}}


def run_smoke() -> int:
    """Run every step, print its time, stop at the first failure. Returns the process exit status."""
    started = time.perf_counter()
    print(f"smoke: ecgstudio {__version__}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ecgstudio-smoke-") as tmp:
        # torch's compiler cache (and the engine child's) stays in the smoke's own folder too
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(tmp) / "torchinductor")
        os.environ["MPLCONFIGDIR"] = str(Path(tmp) / "matplotlib")  # its font cache (the cohort report's plots)
        step, smoke = "start", None
        try:
            smoke = Smoke(Path(tmp))
            print(f"smoke: Qt application ready in {time.perf_counter() - started:.2f} s", flush=True)
            for step, run in smoke.steps():
                t0 = time.perf_counter()
                detail = run()
                print(f"smoke: {step:<13} {time.perf_counter() - t0:6.2f} s  {detail}", flush=True)
        except Exception as exc:  # every failure, expected or not, must end as a clear message and status 1
            print(f"smoke FAILED at {step}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            traceback.print_exc(file=sys.stderr)
            return 1
        finally:
            if smoke is not None:
                smoke.release()
    print(f"smoke: all steps passed in {time.perf_counter() - started:.2f} s", flush=True)
    return 0
