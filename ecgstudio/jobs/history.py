"""The job history in the shared library database (component ``jobs``): one row per job.

Why the library and not the job folders: the library file is what a user backs up and moves, and the job
list must survive a restart (a job that was running when the app died is shown as failed, never as
running forever).

A team library on a server holds every workstation's jobs, so each job records the app process that
runs it (host name, process id and when that process started). At start-up only this workstation's
jobs whose process is gone are marked failed; a job another workstation (or another ECG Studio on this
one) is still running is left alone.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.store.db import Database, Schema, utc_now

JOBS_SCHEMA = Schema("jobs", (
    (
        "CREATE TABLE jobs ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " kind TEXT NOT NULL,"
        " title TEXT NOT NULL,"
        " spec_json TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),"
        " created_at TEXT NOT NULL,"
        " started_at TEXT,"
        " finished_at TEXT,"
        " folder TEXT,"
        " log_path TEXT,"
        " output_model TEXT,"
        " message TEXT NOT NULL DEFAULT '')",
    ),
    (  # v2: which app process runs the job (None for jobs recorded before)
        "ALTER TABLE jobs ADD COLUMN host TEXT",
        "ALTER TABLE jobs ADD COLUMN pid INTEGER",
        "ALTER TABLE jobs ADD COLUMN process_start TEXT",
    ),
), tables=("jobs",))

FINAL_STATES = ("done", "failed", "cancelled")


@dataclass
class JobRow:
    id: int
    kind: str
    title: str
    spec_json: str
    status: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    folder: str | None
    log_path: str | None
    output_model: str | None
    message: str
    host: str | None = None
    pid: int | None = None
    process_start: str | None = None


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as this machine's boot id and the start time in clock ticks since
    boot: a process id reused later (or after a reboot) does not match. None where there is no /proc
    or no such process."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return f"{boot}:{stat.rsplit(')', 1)[1].split()[19]}"  # field 22; the name in () may hold spaces


def process_alive(pid: int, started: str | None) -> bool:
    """Whether the process that recorded ``(pid, started)`` on this machine still runs."""
    if started is not None and process_start(os.getpid()) is not None:
        return process_start(pid) == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process of that id: alive
        return True
    return True


class JobHistory:
    """Reads and writes the ``jobs`` table; each change is one transaction."""

    def __init__(self, db: Database):
        self.db = db
        db.ensure(JOBS_SCHEMA)
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.process_start = process_start(self.pid)
        self._fail_orphans()

    def _fail_orphans(self) -> None:
        """Mark failed this workstation's jobs whose app process is gone (it closed or crashed during them).

        Jobs recorded before processes were (no host) belong to the one workstation of a library file;
        in a server library their owner is unknown and they are left as they are."""
        unowned = " OR host IS NULL" if not self.db.is_server else ""
        rows = self.db.query(f"SELECT id, host, pid, process_start FROM jobs WHERE status IN ('queued', 'running')"
                             f" AND (host = ?{unowned})", (self.host,))
        orphans = [row[0] for row in rows if row[1] is None or not process_alive(row[2], row[3])]
        if not orphans:
            return
        with self.db.transaction() as conn:
            conn.executemany("UPDATE jobs SET status = 'failed', finished_at = ?, message = 'the app closed during"
                             " the job' WHERE id = ? AND status IN ('queued', 'running')",
                             [(utc_now(), job_id) for job_id in orphans])

    def add(self, kind: str, title: str, spec_json: str) -> int:
        with self.db.transaction() as conn:
            return conn.insert("INSERT INTO jobs (kind, title, spec_json, status, created_at, host, pid, process_start)"
                               " VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
                               (kind, title, spec_json, utc_now(), self.host, self.pid, self.process_start))

    def update(self, job_id: int, **values: object) -> None:
        """Set columns (``status``, ``folder``, ``log_path``, ``output_model``, ``message``); stamps times."""
        if values.get("status") == "running":
            values["started_at"] = utc_now()
        elif values.get("status") in FINAL_STATES:
            values["finished_at"] = utc_now()
        columns = ", ".join(f"{key} = :{key}" for key in values)
        with self.db.transaction() as conn:
            conn.execute(f"UPDATE jobs SET {columns} WHERE id = :id", {**values, "id": job_id})

    def rows(self, limit: int = 200) -> list[JobRow]:
        """The most recent jobs, oldest first."""
        rows = self.db.query("SELECT * FROM (SELECT * FROM jobs ORDER BY id DESC LIMIT ?) AS recent ORDER BY id", (limit,))
        return [JobRow(**dict(row)) for row in rows]
