"""The app's library database: one SQLite file that every feature keeps its tables in.

Why one shared helper: annotations, the PE-score form and the job history live in the same file so a
library is one thing to back up and move. Each feature declares a :class:`Schema` (a component name and
its ordered migrations) and calls :meth:`Database.ensure`; the ``schema_versions`` table remembers how far
each component has been migrated, so features upgrade independently and never touch each other's tables.

Durability: WAL journal with ``synchronous=FULL`` (a committed transaction survives a killed process and
a power cut), foreign keys on, and one explicit ``BEGIN IMMEDIATE`` transaction per change via
:meth:`Database.transaction`, which commits on success and rolls back on any exception.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ecgstudio.store.errors import LibraryError

#: One migration step: SQL statements run in order, or a function given the connection. Statements are
#: run one by one with ``execute`` because ``executescript`` would commit the surrounding transaction.
Migration = Sequence[str] | Callable[[sqlite3.Connection], None]

_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Schema:
    """A feature's tables: ``migrations[i]`` brings the component from version ``i`` to ``i + 1``."""

    component: str
    migrations: tuple[Migration, ...]

    @property
    def version(self) -> int:
        return len(self.migrations)


def utc_now() -> str:
    """The timestamp format of every table: UTC ISO 8601 with milliseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Database:
    """An open library file. Use from the thread that created it; other threads open their own."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=_BUSY_TIMEOUT_MS / 1000)
        except (OSError, sqlite3.Error) as exc:
            raise LibraryError(self.path, f"cannot open: {exc}") from exc
        self._conn.row_factory = sqlite3.Row
        self._in_transaction = False
        try:
            self.journal_mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions ("
                " component TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at TEXT NOT NULL)"
            )
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LibraryError(self.path, f"not a usable library database ({exc})") from exc

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: commits when the block ends, rolls back if it raises.

        ``BEGIN IMMEDIATE`` takes the write lock up front so two app instances on one library queue
        instead of failing half-way. Not re-entrant: a change is one transaction, by design.
        """
        if self._in_transaction:
            raise RuntimeError("Database.transaction() is not re-entrant")
        self._in_transaction = True
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        finally:
            self._in_transaction = False

    def query(self, sql: str, params: Sequence | dict = ()) -> list[sqlite3.Row]:
        """Rows of a read-only statement (outside or inside a transaction)."""
        return self._conn.execute(sql, params).fetchall()

    def version(self, component: str) -> int:
        row = self._conn.execute("SELECT version FROM schema_versions WHERE component = ?", (component,)).fetchone()
        return row[0] if row else 0

    def ensure(self, schema: Schema) -> None:
        """Apply the component's migrations the file lacks, each in its own transaction.

        A file migrated further than this code knows was written by a newer app: refuse it rather
        than write rows an older schema would misread.
        """
        current = self.version(schema.component)
        if current > schema.version:
            raise LibraryError(
                self.path,
                f"its '{schema.component}' tables are version {current}, newer than this ECG Studio "
                f"understands ({schema.version}); update the app",
            )
        for target in range(current + 1, schema.version + 1):
            step = schema.migrations[target - 1]
            try:
                with self.transaction() as conn:
                    if callable(step):
                        step(conn)
                    else:
                        for statement in step:
                            conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_versions (component, version, updated_at) VALUES (?, ?, ?)"
                        " ON CONFLICT(component) DO UPDATE SET version = excluded.version,"
                        " updated_at = excluded.updated_at",
                        (schema.component, target, utc_now()),
                    )
            except sqlite3.Error as exc:
                raise LibraryError(
                    self.path, f"cannot migrate '{schema.component}' to version {target}: {exc}"
                ) from exc

    def integrity_check(self) -> str:
        """SQLite's verdict on the file: ``"ok"`` or the first problems it found."""
        return "; ".join(row[0] for row in self._conn.execute("PRAGMA integrity_check").fetchall())
