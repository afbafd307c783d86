"""Counts kept by the database: one row per group of another table's rows, updated by triggers.

Why: a list of 10,000 records wants a count per record (how many live annotations, how many signed)
without aggregating a million rows on every refresh. A :class:`Tally` names the counting table, the
table it counts, the columns that make a group and one condition per count; the migration that adds
it creates the table, the triggers (in each backend's spelling: :mod:`ecgstudio.store.dialect`) and
fills it from the rows already there, all in the migration's one transaction. From then on every
insert and update of a counted row adjusts its group in the same transaction as the change, whoever
makes it (the app, an import, hand-written SQL), so the counts never drift from the rows.

The counted table's rows are never deleted (its own trigger refuses it), so there is no delete trigger.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tally:
    """``table`` holds, per distinct ``keys`` of ``source``, how many rows meet each of ``counts``.

    ``counts`` maps a count column to a condition on one row of ``source``, with ``{row}`` where the
    row's columns are named (``"{row}.deleted_at IS NULL"``): the triggers put ``NEW``/``OLD`` there,
    the backfill the table's name. Key columns are ``TEXT`` and never NULL.
    """

    table: str
    source: str
    keys: tuple[str, ...]
    counts: tuple[tuple[str, str], ...]

    def create_table(self) -> str:
        keys = ", ".join(f"{key} TEXT NOT NULL" for key in self.keys)
        counts = ", ".join(f"{column} INTEGER NOT NULL DEFAULT 0" for column, _ in self.counts)
        # WITHOUT ROWID (SQLite; nothing on PostgreSQL): the rows live in the key's index, one lookup per group
        return f"CREATE TABLE {self.table} ({keys}, {counts}, PRIMARY KEY ({', '.join(self.keys)})) WITHOUT ROWID"

    def backfill(self) -> str:
        """The counts of the rows already in ``source`` (an upgraded library)."""
        keys = ", ".join(self.keys)
        sums = ", ".join(f"SUM({self.one_if(self.source)[column]})" for column, _ in self.counts)
        return (f"INSERT INTO {self.table} ({keys}, {', '.join(c for c, _ in self.counts)})"
                f" SELECT {keys}, {sums} FROM {self.source} GROUP BY {keys}")

    def one_if(self, row: str) -> dict[str, str]:
        """Per count column, ``1`` when the row ``row`` (``NEW``, ``OLD`` or a table) meets its condition, else ``0``."""
        return {column: f"(CASE WHEN {condition.format(row=row)} THEN 1 ELSE 0 END)"
                for column, condition in self.counts}

    def changed(self, distinct: str) -> str:
        """A trigger's ``WHEN``: the row moved group or changed a count (``distinct``: the backend's
        null-safe "differs" operator)."""
        old, new = self.one_if("OLD"), self.one_if("NEW")
        moved = [f"OLD.{key} {distinct} NEW.{key}" for key in self.keys]
        counted = [f"{old[column]} <> {new[column]}" for column, _ in self.counts]
        return " OR ".join(moved + counted)

    def key_match(self, row: str) -> str:
        return " AND ".join(f"{key} = {row}.{key}" for key in self.keys)
