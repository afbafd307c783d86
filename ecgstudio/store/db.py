"""The app's library database: one SQLite file, or one PostgreSQL database, that every feature keeps its tables in.

Why one shared helper: annotations, the PE-score form, the job history and the reading studies live in
the same library so it is one thing to back up, move or share. Each feature declares a :class:`Schema`
(a component name and its ordered migrations) and calls :meth:`Database.ensure`; the
``schema_versions`` table remembers how far each component has been migrated, so features upgrade
independently and never touch each other's tables.

The location says which backend: a file path (SQLite, nothing to install, one workstation or a shared
folder) or a ``postgresql://`` URL (a team's server, with roles; see ``ecgstudio.store.access``). SQL
is written once; :mod:`ecgstudio.store.dialect` holds every difference.

Durability: SQLite runs a WAL journal with ``synchronous=FULL`` (a committed transaction survives a
killed process and a power cut) and foreign keys on. Every change is one explicit transaction via
:meth:`Database.transaction`, which commits on success and rolls back on any exception. A writer that
cannot get the lock within the busy timeout gets :class:`LibraryBusy`; a lost server connection gets
:class:`LibraryUnavailable` (and the next call reconnects): in both cases nothing was written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ecgstudio.store.dialect import (BUSY_TIMEOUT_S, Dialect, classify_connect_error, dialect_for, enter_wal_mode,
                                     is_server_url)
from ecgstudio.store.errors import LibraryError, LibraryUnavailable, display_location
from ecgstudio.store.tally import Tally


class Connection:
    """The connection inside one transaction: ``execute`` in the features' SQL spelling, typed errors."""

    def __init__(self, db: Database):
        self._db = db

    @property
    def dialect(self) -> Dialect:
        return self._db.dialect

    def execute(self, sql: str, params: Sequence | dict = ()) -> Any:
        return self._db._run(lambda raw: raw.execute(self.dialect.sql(sql, params), params))

    def executemany(self, sql: str, rows: Sequence) -> Any:
        return self._db._run(lambda raw: raw.executemany(self.dialect.sql(sql, ()), rows))

    def insert(self, sql: str, params: Sequence | dict = ()) -> int:
        """Run an ``INSERT`` and return the new row's ``id`` (``RETURNING``: the same on both backends)."""
        return self.execute(sql + " RETURNING id", params).fetchall()[0][0]

    def ddl(self, statement: str) -> None:
        """One migration statement, rewritten for this backend."""
        for text in self.dialect.ddl(statement):
            self._db._run(lambda raw: raw.execute(text))

    def add_tally(self, tally: Tally) -> None:
        """A migration step: create ``tally``'s table and triggers and count the rows already there."""
        self.ddl(tally.create_table())
        for text in self.dialect.tally_triggers(self, tally):
            self._db._run(lambda raw: raw.execute(text))
        self.execute(tally.backfill())


#: One migration step: SQL statements run in order, or a function given the :class:`Connection`.
#: Statements are run one by one because a script runner would commit the surrounding transaction.
Migration = Sequence[str] | Callable[[Connection], None]


@dataclass(frozen=True)
class Schema:
    """A feature's tables: ``migrations[i]`` brings the component from version ``i`` to ``i + 1``.

    ``tables`` lists the component's tables parents first: the order a copy to another library
    (:mod:`ecgstudio.store.transfer`) writes them in.
    """

    component: str
    migrations: tuple[Migration, ...]
    tables: tuple[str, ...] = ()

    @property
    def version(self) -> int:
        return len(self.migrations)


def utc_now() -> str:
    """The timestamp format of every table: UTC ISO 8601 with milliseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


_VERSIONS_TABLE = ("CREATE TABLE IF NOT EXISTS schema_versions ("
                   " component TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at TEXT NOT NULL)")


class Database:
    """An open library. Use from the thread that created it; other threads open their own."""

    def __init__(self, location: str | Path, busy_timeout_s: float = BUSY_TIMEOUT_S):
        self.location = str(location)
        self.is_server = is_server_url(location)
        self.path = None if self.is_server else Path(location)
        self.dialect = dialect_for(location)
        self.busy_timeout_s = busy_timeout_s
        self._in_transaction = False
        self._conn = self._connect()
        try:
            if self.is_server:
                self.journal_mode = "server"
            else:
                self.journal_mode = enter_wal_mode(self._conn, self.busy_timeout_s)
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.execute("PRAGMA foreign_keys=ON")
            if not self._has_versions_table():
                with self.transaction() as conn:
                    self.dialect.migration_lock(conn)
                    conn.execute(_VERSIONS_TABLE)
        except LibraryError:
            self._conn.close()
            raise
        except Exception as exc:
            self._conn.close()
            raise LibraryError(self.location, f"not a usable library database ({exc})") from exc
        self.user = self.dialect.current_user(self._conn)

    def __str__(self) -> str:
        return display_location(self.location)

    @property
    def workdir(self) -> Path:
        """A local folder for files that go with this library (job runs): beside the file, or the user's data."""
        if self.path is not None:
            return self.path.parent
        return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "ecgstudio"

    def close(self) -> None:
        self._conn.close()

    # -- connection ----------------------------------------------------------------------------------

    def _connect(self) -> Any:
        try:
            return self.dialect.connect(self.location, self.busy_timeout_s)
        except Exception as exc:
            raise classify_connect_error(exc, self.location) from exc

    @property
    def available(self) -> bool:
        """Whether the connection is up (always true for a file)."""
        return self.dialect.is_alive(self._conn)

    def reconnect(self) -> bool:
        """Open a fresh connection if the old one broke; True when the library is reachable again."""
        if self.available:
            return True
        try:
            self._conn = self._connect()
        except LibraryError:
            return False
        return True

    def _run(self, call: Callable[[Any], Any]) -> Any:
        """Call the driver; its exceptions become the library's typed errors."""
        if not self._in_transaction and not self.reconnect():
            raise LibraryUnavailable(self.location, "the library server cannot be reached; changes are refused"
                                                    " until it is back (reconnecting)")
        try:
            return call(self._conn)
        except Exception as exc:
            typed = self.dialect.classify(exc, self.location)
            if typed is exc:
                raise
            raise typed from exc

    # -- transactions and queries --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic change: commits when the block ends, rolls back if it raises.

        On SQLite ``BEGIN IMMEDIATE`` takes the write lock up front so two app instances on one
        library queue instead of failing half-way. Not re-entrant: a change is one transaction, by design.
        """
        if self._in_transaction:
            raise RuntimeError("Database.transaction() is not re-entrant")
        conn = Connection(self)
        self._run(lambda raw: raw.execute(self.dialect.begin_write))
        self._in_transaction = True
        try:
            try:
                yield conn
            except BaseException:
                self._rollback()
                raise
            self._run(lambda raw: raw.execute("COMMIT"))
        finally:
            self._in_transaction = False

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except Exception:  # the connection is gone: the server rolled the transaction back itself
            pass

    def query(self, sql: str, params: Sequence | dict = ()) -> list[Any]:
        """Rows of a read-only statement (outside or inside a transaction)."""
        return self._run(lambda raw: raw.execute(self.dialect.sql(sql, params), params).fetchall())

    def version(self, component: str) -> int:
        rows = self.query("SELECT version FROM schema_versions WHERE component = ?", (component,))
        return rows[0][0] if rows else 0

    def versions(self) -> dict[str, int]:
        return {row[0]: row[1] for row in self.query("SELECT component, version FROM schema_versions")}

    def _has_versions_table(self) -> bool:
        if self.is_server:
            sql = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_versions'"
        else:
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'"
        return bool(self._run(lambda raw: raw.execute(sql).fetchall()))

    def ensure(self, schema: Schema) -> None:
        """Apply the component's migrations the library lacks, each in its own transaction.

        The version is read again inside each migration's transaction, under the write lock (SQLite's
        ``BEGIN IMMEDIATE``, an advisory lock on PostgreSQL): two processes opening a new library at
        once then migrate it once, one after the other, instead of both creating the same tables.
        A library migrated further than this code knows was written by a newer app: refuse it rather
        than write rows an older schema would misread.
        """
        if self._check_version(schema) == schema.version:
            return
        for target in range(1, schema.version + 1):
            step = schema.migrations[target - 1]
            try:
                with self.transaction() as conn:
                    self.dialect.migration_lock(conn)
                    if self._check_version(schema) >= target:
                        continue  # this step is already in the library (maybe another process just ran it)
                    if callable(step):
                        step(conn)
                    else:
                        for statement in step:
                            conn.ddl(statement)
                    conn.execute(
                        "INSERT INTO schema_versions (component, version, updated_at) VALUES (?, ?, ?)"
                        " ON CONFLICT(component) DO UPDATE SET version = excluded.version,"
                        " updated_at = excluded.updated_at",
                        (schema.component, target, utc_now()),
                    )
            except LibraryError as exc:
                raise type(exc)(self.location, f"cannot migrate '{schema.component}' to version {target}:"
                                               f" {exc.reason}") from exc
            except Exception as exc:
                raise LibraryError(
                    self.location, f"cannot migrate '{schema.component}' to version {target}: {exc}"
                ) from exc

    def _check_version(self, schema: Schema) -> int:
        current = self.version(schema.component)
        if current > schema.version:
            raise LibraryError(
                self.location,
                f"its '{schema.component}' tables are version {current}, newer than this ECG Studio "
                f"understands ({schema.version}); update the app",
            )
        return current

    def integrity_check(self) -> str:
        """The backend's verdict on the library: ``"ok"`` or the first problems it found."""
        return self._run(self.dialect.integrity_check)
