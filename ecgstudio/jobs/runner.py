"""One job's engine process, owned by a worker object living on its own ``QThread``.

Why a child process: training holds the GIL and the memory of a model; in a child it cannot freeze the
window, and killing it frees everything. The worker reads the child's merged stdout/stderr line by line
(blocking, which is why it has its own thread): the engine's typed progress events
(:func:`training.progress.parse_line`) become ``event`` signals, anything else (warnings, a traceback)
becomes ``log`` lines. Every line is also appended to the job's log file.

The engine trains into ``partial`` (a folder inside the job folder). Only when it exits 0 having
reported its model is that folder renamed to ``final``; otherwise it is deleted, so a failed or
cancelled job never leaves a model file behind.

Cancel is graceful first: SIGINT, which the engine's CLI turns into its cooperative cancel token
(checked before every step, then it exits 130). If the child is still alive ``kill_after_s`` later (it
was reading data, or is stuck), its whole process group is killed. On Windows, where a console signal
cannot be aimed at one child, cancel terminates it at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from training.progress import Event, parse_line

_POSIX = os.name == "posix"


class EngineWorker(QObject):
    #: (job id, child pid) once the process runs
    started = Signal(int, int)
    #: (job id, a training.progress.Event the engine wrote)
    event = Signal(int, object)
    #: (job id, a line the engine wrote that is not an event)
    log = Signal(int, str)
    #: (job id, status 'done'|'failed'|'cancelled', message, model file or '' )
    finished = Signal(int, str, str, str)

    def __init__(self, job_id: int, args: list[str], log_path: Path, partial: Path, final: Path,
                 kill_after_s: float = 10.0):
        super().__init__()
        self.job_id = job_id
        self.args = args
        self.log_path = log_path
        self.partial = partial
        self.final = final
        self.kill_after_s = kill_after_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._cancelled = False

    # ------------------------------------------------------------------ any thread
    def cancel(self) -> None:
        """Ask the engine to stop; kill its process group if it has not ended ``kill_after_s`` later."""
        with self._lock:
            self._cancelled = True
            proc = self._proc
        if proc is not None and proc.poll() is None:
            self._interrupt(proc)

    def _interrupt(self, proc: subprocess.Popen) -> None:
        if not _POSIX:
            proc.terminate()
            return
        try:
            os.kill(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            return
        timer = threading.Timer(self.kill_after_s, self._kill, (proc,))
        timer.daemon = True
        timer.start()

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        """Kill the child and anything it started (data-loader workers share its process group)."""
        if _POSIX:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        elif proc.poll() is None:
            proc.kill()

    # ------------------------------------------------------------------ worker thread
    def run(self) -> None:
        """Start the engine, relay its output until it exits, then keep or discard what it wrote."""
        events: list[Event] = []
        try:
            with open(self.log_path, "a", encoding="utf-8") as log_file:
                proc = self._start()
                self.started.emit(self.job_id, proc.pid)
                for line in proc.stdout:
                    log_file.write(line)
                    log_file.flush()
                    self._relay(line.rstrip("\n"), events)
                proc.wait()
            self._kill(proc)  # reap any straggler of the process group
            status, message, model = self._outcome(proc.returncode, events)
        except OSError as exc:
            status, message, model = "failed", f"cannot run the engine: {exc}", ""
        if status != "done":
            shutil.rmtree(self.partial, ignore_errors=True)
        self.finished.emit(self.job_id, status, message, model)

    def _start(self) -> subprocess.Popen:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
        flags = 0 if _POSIX else subprocess.CREATE_NEW_PROCESS_GROUP
        proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, encoding="utf-8", errors="replace", bufsize=1, env=env,
                                start_new_session=_POSIX, creationflags=flags)
        with self._lock:
            self._proc = proc
            cancelled = self._cancelled
        if cancelled:  # cancel arrived while the process was starting
            self._interrupt(proc)
        return proc

    def _relay(self, line: str, events: list[Event]) -> None:
        event = parse_line(line)
        if event is not None:
            if event.type in ("done", "error"):
                events.append(event)
            self.event.emit(self.job_id, event)
        elif line.strip():
            self.log.emit(self.job_id, line)

    def _outcome(self, code: int, events: list[Event]) -> tuple[str, str, str]:
        done = next((e for e in events if e.type == "done"), None)
        if code == 0 and done is not None:
            if self.partial.exists():
                os.replace(self.partial, self.final)  # the run is complete: move it into place at once
            best = done.get("best_config") or done.get("config")
            message = f"best configuration: {self._rebase(best)}" if best else _val_summary(done)
            return "done", message, self._rebase(done.get("model"))
        if self._cancelled:
            return "cancelled", "cancelled by the user", ""
        error = next((e for e in events if e.type == "error"), None)
        if error is not None:
            return "failed", str(error.get("message", "")), ""
        return "failed", self._last_log_line() or f"the engine exited with code {code}", ""

    def _rebase(self, reported: str | None) -> str:
        """A path the engine reported inside ``partial``, as it is now under ``final`` ('' for none)."""
        if not reported:
            return ""
        path = Path(reported)
        return str(self.final / path.relative_to(self.partial)) if path.is_relative_to(self.partial) else reported

    def _last_log_line(self) -> str:
        try:
            lines = [ln for ln in self.log_path.read_text(encoding="utf-8").splitlines()
                     if ln.strip() and not ln.startswith("{")]
        except OSError:
            return ""
        return lines[-1].strip() if lines else ""


def _val_summary(done: Event) -> str:
    val = done.get("val") or {}
    shown = [f"{key} {val[key]:.3f}" for key in ("auroc_macro", "f1_macro", "map") if isinstance(val.get(key), float)]
    return "validation " + ", ".join(shown) if shown else "finished"
