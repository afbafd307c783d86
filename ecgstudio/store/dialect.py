"""Everything that differs between SQLite and PostgreSQL, in one place.

The features write one SQL text (SQLite spelling, ``?`` and ``:name`` parameters) and one set of
migrations; a :class:`Dialect` connects, rewrites what PostgreSQL spells differently (parameters,
auto-increment keys, ``REAL``, the append-only triggers), classifies the driver's exceptions into the
library's typed errors, and knows each server's lock for migrations. Nothing outside this module
imports ``psycopg`` or checks which backend it runs on.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecgstudio.store.errors import LibraryBusy, LibraryError, LibraryRefused, LibraryUnavailable

if TYPE_CHECKING:
    from ecgstudio.store.tally import Tally

#: SQLite's write lock (and PostgreSQL's lock wait) gives up after this long: then "library busy".
BUSY_TIMEOUT_S = 5.0

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


class Dialect:
    """How one backend connects, spells SQL and reports failures."""

    name: str
    begin_write: str

    def connect(self, location: str, busy_timeout_s: float) -> Any:
        raise NotImplementedError

    def sql(self, text: str, params: Sequence | dict | None) -> str:
        """``text`` in this backend's parameter style."""
        return text

    def ddl(self, statement: str) -> list[str]:
        """A migration statement (SQLite spelling) as this backend's statements."""
        return [statement]

    def migration_lock(self, conn: Any) -> None:
        """Serialise schema changes between processes, inside the current transaction."""

    def tally_triggers(self, conn: Any, tally: Tally) -> list[str]:
        """The statements creating the triggers that keep ``tally``'s counts (run as they are)."""
        raise NotImplementedError

    def classify(self, exc: Exception, location: str) -> Exception:
        """The library's typed error for a driver exception (or ``exc`` itself when it is none of ours)."""
        return exc

    def integrity_check(self, conn: Any) -> str:
        raise NotImplementedError

    def after_explicit_ids(self, conn: Any, table: str) -> None:
        """Rows were inserted with their ids (a library copy): the next generated id must follow them."""

    def member_of(self, column: str) -> str:
        """A condition "``column`` is one of a list" taking the whole list as one parameter
        (:meth:`list_parameter`): one query for 10,000 keys instead of one per few hundred."""
        return f"{column} IN (SELECT value FROM json_each(?))"

    def list_parameter(self, values: Sequence[str]) -> Any:
        return json.dumps(list(values))

    def current_user(self, conn: Any) -> str | None:
        """The database role a connection acts as (None: a file has no users)."""
        return None

    def is_alive(self, conn: Any) -> bool:
        return True


class SQLiteDialect(Dialect):
    name = "sqlite"
    #: takes the write lock up front, so two writers queue instead of failing half-way
    begin_write = "BEGIN IMMEDIATE"

    def connect(self, location: str, busy_timeout_s: float) -> sqlite3.Connection:
        path = Path(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_s)
        conn.row_factory = sqlite3.Row
        return conn

    def classify(self, exc: Exception, location: str) -> Exception:
        if isinstance(exc, sqlite3.IntegrityError):
            return LibraryRefused(location, str(exc))
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
            return LibraryBusy(location, _BUSY_TEXT)
        return exc

    def integrity_check(self, conn: sqlite3.Connection) -> str:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check").fetchall())

    def tally_triggers(self, conn: Any, tally: Tally) -> list[str]:
        def add(row: str) -> str:
            return _tally_upsert(tally, row, alias=None)  # SQLite refuses an alias inside a trigger
        subtract = ", ".join(f"{column} = {column} - {one}" for column, one in tally.one_if("OLD").items())
        return [f"CREATE TRIGGER {tally.table}_added AFTER INSERT ON {tally.source} BEGIN {add('NEW')}; END",
                f"CREATE TRIGGER {tally.table}_changed AFTER UPDATE ON {tally.source} WHEN {tally.changed('IS NOT')}"
                f" BEGIN UPDATE {tally.table} SET {subtract} WHERE {tally.key_match('OLD')}; {add('NEW')}; END"]


def enter_wal_mode(conn: sqlite3.Connection, busy_timeout_s: float) -> str:
    """Switch a SQLite library to WAL; returns the journal mode now in force. While another process is creating the same library, SQLite can answer
    this switch with "database is locked" at once, without waiting on the busy timeout (1 of 64
    simultaneous creators failed so): wait here, up to that timeout, as every other statement does."""
    deadline = time.monotonic() + busy_timeout_s
    pause = 0.01
    while True:
        try:
            return conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(2 * pause, 0.2)


_BUSY_TEXT = ("the library is busy: another ECG Studio or an import has held it for more than "
              f"{BUSY_TIMEOUT_S:g} s. Nothing was saved; try again in a moment")

_AUTOINCREMENT = re.compile(r"INTEGER PRIMARY KEY AUTOINCREMENT", re.I)
_REAL = re.compile(r"\bREAL\b")
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT ROWID\s*$", re.I)
_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+) BEFORE (UPDATE|DELETE) ON (\w+)\s+BEGIN SELECT RAISE\(ABORT, '([^']*)'\); END", re.I)
#: one function behind every refusing trigger; its argument is the message
_REFUSE_FUNCTION = ("CREATE OR REPLACE FUNCTION ecg_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
                    " BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$")


class PostgresDialect(Dialect):
    name = "postgresql"
    begin_write = "BEGIN"

    def connect(self, location: str, busy_timeout_s: float) -> Any:
        """JIT off: a reader's row-level security policies add per-row subplans that raise the planner's
        cost of the status query (10,000 records) past the JIT thresholds, and compiling it took 350-390 ms
        of a 550-630 ms query (EXPLAIN ANALYZE, PostgreSQL 15); the app's queries are all short."""
        import psycopg

        conn = psycopg.connect(location, autocommit=True, connect_timeout=5, row_factory=_row_factory,
                               options=f"-c lock_timeout={int(busy_timeout_s * 1000)} -c jit=off")
        return _PgConnection(conn)

    def sql(self, text: str, params: Sequence | dict | None) -> str:
        return _pg_parameters(text) if params is not None else text

    def ddl(self, statement: str) -> list[str]:
        trigger = _TRIGGER.fullmatch(statement.strip())
        if trigger:
            name, event, table, message = trigger.groups()
            statements = [_REFUSE_FUNCTION,
                          f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW"
                          f" EXECUTE FUNCTION ecg_refuse('{message}')"]
            if event.upper() == "DELETE":  # TRUNCATE skips row triggers: refuse it too
                statements.append(f"CREATE TRIGGER {name}_truncate BEFORE TRUNCATE ON {table}"
                                  f" FOR EACH STATEMENT EXECUTE FUNCTION ecg_refuse('{message}')")
            return statements
        if statement.lstrip().upper().startswith("CREATE TRIGGER"):
            raise ValueError(f"no PostgreSQL spelling for trigger {statement!r}")
        text = _AUTOINCREMENT.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement)
        text = _WITHOUT_ROWID.sub(")", text)  # a SQLite storage choice; PostgreSQL tables are heaps anyway
        return [_REAL.sub("DOUBLE PRECISION", text)]

    def migration_lock(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(7406281)")

    def tally_triggers(self, conn: Any, tally: Tally) -> list[str]:
        """One PL/pgSQL function for both triggers. ``SECURITY DEFINER``: it runs as the tables' owner, so a
        reader's change keeps the counts although the reader's role may only read them."""
        schema = conn.execute("SELECT current_schema()").fetchall()[0][0].replace('"', '""')
        subtract = ", ".join(f"{column} = {column} - {one}" for column, one in tally.one_if("OLD").items())
        function = f"{tally.table}_keep"
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
            f' SET search_path = "{schema}", pg_temp AS $$ BEGIN'
            f" IF TG_OP = 'UPDATE' THEN UPDATE {tally.table} SET {subtract} WHERE {tally.key_match('OLD')}; END IF;"
            f" {_tally_upsert(tally, 'NEW')}; RETURN NULL; END $$",
            f"CREATE TRIGGER {tally.table}_added AFTER INSERT ON {tally.source} FOR EACH ROW"
            f" EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {tally.table}_changed AFTER UPDATE ON {tally.source} FOR EACH ROW"
            f" WHEN ({tally.changed('IS DISTINCT FROM')}) EXECUTE FUNCTION {function}()",
        ]

    def member_of(self, column: str) -> str:
        return f"{column} = ANY(CAST(? AS text[]))"

    def list_parameter(self, values: Sequence[str]) -> Any:
        """An array literal in one text parameter: psycopg's own adaptation of a list takes 8 ms of CPU
        per 10,000 paths, this 1 ms. Every character but NUL (which no text holds) survives the quoting."""
        return "{" + ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values) + "}"

    def after_explicit_ids(self, conn: Any, table: str) -> None:
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
                     f" FROM {table}")  # any constant shared by every ECG Studio

    def classify(self, exc: Exception, location: str) -> Exception:
        import psycopg
        from psycopg import errors

        if isinstance(exc, (errors.LockNotAvailable, errors.DeadlockDetected, errors.SerializationFailure)):
            return LibraryBusy(location, _BUSY_TEXT)
        if isinstance(exc, errors.InsufficientPrivilege):
            return LibraryRefused(location, f"the server refused it for this user: {_first_line(exc)}")
        if isinstance(exc, (psycopg.IntegrityError, errors.RestrictViolation, errors.RaiseException)):
            return LibraryRefused(location, _first_line(exc))
        if isinstance(exc, psycopg.OperationalError) or (isinstance(exc, psycopg.InterfaceError)
                                                         and "closed" in str(exc)):
            return LibraryUnavailable(location, "the library server cannot be reached "
                                                f"({_first_line(exc)}). Nothing was saved; reconnecting")
        return exc

    def integrity_check(self, conn: Any) -> str:
        """The server keeps its own files consistent; here every table is read through once."""
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()]
        for table in tables:
            conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchall()
        return "ok"

    def current_user(self, conn: Any) -> str | None:
        return conn.execute("SELECT current_user").fetchone()[0]

    def is_alive(self, conn: Any) -> bool:
        return not conn.raw.closed and not conn.raw.broken


def _tally_upsert(tally: Tally, row: str, alias: str | None = "counted") -> str:
    """Add row ``row``'s counts to its group, creating the group's row the first time (both backends)."""
    keys = ", ".join(tally.keys)
    ones = tally.one_if(row)
    columns = ", ".join(ones)
    values = ", ".join([f"{row}.{key}" for key in tally.keys] + list(ones.values()))
    target = f"{alias}." if alias else ""
    adds = ", ".join(f"{column} = {target}{column} + excluded.{column}" for column in ones)
    return (f"INSERT INTO {tally.table}{f' AS {alias}' if alias else ''} ({keys}, {columns}) VALUES ({values})"
            f" ON CONFLICT ({keys}) DO UPDATE SET {adds}")


def dialect_for(location: str | Path) -> Dialect:
    return PostgresDialect() if is_server_url(location) else SQLiteDialect()


def classify_connect_error(exc: Exception, location: str) -> LibraryError:
    typed = dialect_for(location).classify(exc, location)
    return typed if isinstance(typed, LibraryError) else LibraryError(location, f"cannot open: {exc}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?|(?<!:):([A-Za-z_]\w*)|%")


def _pg_parameters(text: str) -> str:
    """``?`` -> ``%s``, ``:name`` -> ``%(name)s``, ``%`` -> ``%%``; quoted text is left alone."""
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if match.group(1):
            return f"%({match.group(1)})s"
        return token
    return _TOKEN.sub(replace, text)


class Row(tuple):
    """A result row like ``sqlite3.Row``: by position, by column name, and ``dict(row)``."""

    _names: tuple[str, ...] = ()

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        return self._names


def _row_factory(cursor: Any):
    names = tuple(column.name for column in cursor.description or ())
    row_type = type("Row", (Row,), {"_names": names})
    return lambda values: row_type(values)


class _PgConnection:
    """psycopg's connection with sqlite3's ``execute``/``executemany`` shape (a cursor back)."""

    def __init__(self, raw: Any):
        self.raw = raw

    def execute(self, sql: str, params: Sequence | dict | None = None) -> Any:
        return self.raw.execute(sql, params, prepare=False)

    def executemany(self, sql: str, rows: Sequence) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(sql, rows)
        return cursor

    def close(self) -> None:
        self.raw.close()
