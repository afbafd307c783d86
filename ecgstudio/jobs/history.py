"""The job history in the shared library database (component ``jobs``): one row per job.

Why the library and not the job folders: the library file is what a user backs up and moves, and the job
list must survive a restart (a job that was running when the app died is shown as failed, never as
running forever).
"""

from __future__ import annotations

from dataclasses import dataclass

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


class JobHistory:
    """Reads and writes the ``jobs`` table; each change is one transaction."""

    def __init__(self, db: Database):
        self.db = db
        db.ensure(JOBS_SCHEMA)
        with db.transaction() as conn:  # a job 'running' or 'queued' in the file died with the last session
            conn.execute("UPDATE jobs SET status = 'failed', finished_at = ?, message = 'the app closed during the"
                         " job' WHERE status IN ('queued', 'running')", (utc_now(),))

    def add(self, kind: str, title: str, spec_json: str) -> int:
        with self.db.transaction() as conn:
            return conn.insert("INSERT INTO jobs (kind, title, spec_json, status, created_at) VALUES"
                               " (?, ?, ?, 'queued', ?)", (kind, title, spec_json, utc_now()))

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
