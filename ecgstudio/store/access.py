"""Who may do what in a team library on PostgreSQL, enforced by the server (roles and row-level security).

A SQLite file has no users: whoever can write the file can write the library, and the app's author
checks are all there is. On a server each person connects as their own database role, and the rules
below hold for any client, hand-written SQL included:

- ``ecg_reader`` (every reader): reads everything except, in a blinded study, the other readers'
  annotations of the study's records (their rows, their audit rows and their counts) and the study's
  consensus (it carries the other readings' verdicts and ids; its audit rows too); creates, edits and signs only annotations whose
  author is their own role; appends audit rows only in their own name; can never update, delete or
  truncate the audit trail (no privilege, and triggers refuse it even for the owner); records their own
  progress in reading studies.
- ``ecg_adjudicator``: a reader who may also write a study's consensus labels and edit the vocabulary,
  and who sees every reader's annotations and the consensus of a blinded study, unless they are one of
  its readers.
- ``ecg_admin``: creates studies and manages readers (an admin's login role gets ``CREATEROLE``);
  holds no right to rewrite anyone's annotations.

The tables are owned by the role that ran :func:`setup_access` (the server's administrator account);
an owner bypasses row-level security, which is why no reader, adjudicator or admin is ever the owner.
:func:`setup_access` is idempotent: run it again after an upgrade adds tables.
"""

from __future__ import annotations

from ecgstudio.store.db import Database
from ecgstudio.store.errors import LibraryError

READER, ADJUDICATOR, ADMIN = "ecg_reader", "ecg_adjudicator", "ecg_admin"
ROLES = {"reader": (READER,), "adjudicator": (READER, ADJUDICATOR), "admin": (ADMIN,)}

#: table -> privileges of readers (every role below inherits or is granted them explicitly)
_READER_GRANTS = {
    "schema_versions": "SELECT",
    "audit_log": "SELECT, INSERT",
    "ann_records": "SELECT, INSERT, UPDATE",
    "ann_record_paths": "SELECT, INSERT, UPDATE",
    "ann_vocabulary": "SELECT",
    "annotations": "SELECT, INSERT, UPDATE",
    "ann_record_counts": "SELECT",
    "ann_author_counts": "SELECT",
    "pe_forms": "SELECT, INSERT, UPDATE",
    "jobs": "SELECT, INSERT, UPDATE",
    "studies": "SELECT",
    "study_records": "SELECT",
    "study_readers": "SELECT",
    "study_progress": "SELECT, INSERT, UPDATE",
    "study_consensus": "SELECT",
}
_ADJUDICATOR_GRANTS = {"ann_vocabulary": "INSERT, UPDATE", "study_consensus": "INSERT, UPDATE"}
_ADMIN_GRANTS = {**{table: "SELECT" for table in _READER_GRANTS}, "audit_log": "SELECT, INSERT",
                 "ann_vocabulary": "SELECT, INSERT, UPDATE", "studies": "SELECT, INSERT, UPDATE",
                 "study_records": "SELECT, INSERT", "study_readers": "SELECT, INSERT, UPDATE"}


def _blinded_to_me(study: str) -> str:
    """The study (row alias ``study`` of ``studies``) is blinded to this role: one it reads, or any blinded
    study for a role that is no adjudicator (a reader outside the study could pass the labels on)."""
    return (f"{study}.blinded = 1 AND (NOT pg_has_role('{ADJUDICATOR}', 'MEMBER') OR EXISTS"
            f" (SELECT 1 FROM study_readers d WHERE d.study_id = {study}.id AND d.reader = current_user))")


def _not_blinded(table: str) -> str:
    """The row's record is in no study blinded to this role: one index probe per row, for tables read a
    record at a time (a policy's subquery runs as a subplan for every row the query reads)."""
    return ("NOT EXISTS (SELECT 1 FROM study_records r JOIN studies s ON s.id = r.study_id"
            f" WHERE r.record_key = {table}.record_key AND {_blinded_to_me('s')})")


def _not_blinded_in_bulk(table: str) -> str:
    """:func:`_not_blinded` for tables read 10,000 records at once (the list's counts): uncorrelated, so
    the server hashes the blinded records once per query (study_records.record_key is never NULL, so
    NOT IN means NOT EXISTS). The status column's query for 10,000 records, as a reader of a blinded
    1,000-record study: 103 ms with a probe per row, 38 ms hashed (PostgreSQL 15, this machine)."""
    return (f"{table}.record_key NOT IN (SELECT r.record_key FROM study_records r JOIN studies s"
            f" ON s.id = r.study_id WHERE {_blinded_to_me('s')})")


#: A consensus row: hidden while its own study is blinded to the role, and while its record is in any
#: study blinded to the role (an unblinded study's verdict on a record is a label of that record too).
_CONSENSUS_VISIBLE = (f"{_not_blinded('study_consensus')} AND NOT EXISTS (SELECT 1 FROM studies s"
                      f" WHERE s.id = study_consensus.study_id AND {_blinded_to_me('s')})")


#: An annotation's or a consensus' audit rows hold its values: visible exactly when the row is (the
#: subqueries see the tables through their own policies). A consensus' id is "study:record:label"
#: (ecgstudio.studies.store); the study part finds it by index. Readers append audit rows, so an id
#: may be anything: it is cast only once a pattern has matched (CASE fixes the order; AND does not),
#: else one typed row would make every reader's read of the audit trail fail; such a row refers to
#: no annotation or consensus and is hidden.
_AUDIT_VISIBLE = ("CASE WHEN entity = 'annotation' THEN CASE WHEN entity_id ~ '^[0-9]{1,18}$'"
                  " THEN EXISTS (SELECT 1 FROM annotations a WHERE a.id = CAST(audit_log.entity_id AS BIGINT))"
                  " ELSE false END"
                  " WHEN entity = 'study_consensus' THEN CASE WHEN entity_id ~ '^[0-9]{1,18}:'"
                  " THEN EXISTS (SELECT 1 FROM study_consensus c"
                  " WHERE c.study_id = CAST(split_part(audit_log.entity_id, ':', 1) AS BIGINT)"
                  " AND c.study_id || ':' || c.record_key || ':' || c.label = audit_log.entity_id)"
                  " ELSE false END"
                  " ELSE true END")

#: (table, policy, command, roles, USING, WITH CHECK); a table with RLS on and no policy for a command refuses it
_POLICIES = (
    ("annotations", "read_unblinded", "SELECT", "PUBLIC", f"author = current_user OR {_not_blinded('annotations')}",
     None),
    ("ann_record_counts", "read_unblinded", "SELECT", "PUBLIC", _not_blinded_in_bulk("ann_record_counts"), None),
    ("ann_author_counts", "read_unblinded", "SELECT", "PUBLIC",
     f"author = current_user OR {_not_blinded_in_bulk('ann_author_counts')}", None),
    ("annotations", "create_own", "INSERT", READER,
     None, "author = current_user AND updated_by = current_user AND confirmed_by IS NULL"),
    ("annotations", "change_own", "UPDATE", READER, "author = current_user",
     "author = current_user AND updated_by = current_user AND (confirmed_by IS NULL OR confirmed_by = current_user)"
     " AND (deleted_by IS NULL OR deleted_by = current_user)"),
    ("audit_log", "read_unblinded", "SELECT", "PUBLIC", _AUDIT_VISIBLE, None),
    ("audit_log", "append_own", "INSERT", f"{READER}, {ADMIN}", None, "actor = current_user"),
    ("study_progress", "read_all", "SELECT", "PUBLIC", "true", None),
    ("study_progress", "own_progress", "INSERT", READER, None, "reader = current_user"),
    ("study_progress", "own_progress_update", "UPDATE", READER, "reader = current_user", "reader = current_user"),
    ("study_consensus", "read_unblinded", "SELECT", "PUBLIC", _CONSENSUS_VISIBLE, None),
    ("study_consensus", "adjudicator_writes", "INSERT", ADJUDICATOR, None, "decided_by = current_user"),
    ("study_consensus", "adjudicator_updates", "UPDATE", ADJUDICATOR, "true", "decided_by = current_user"),
)
#: policies of earlier versions that a rerun of :func:`setup_access` must drop (permissive policies add up)
_RETIRED = (("annotations", "read_all"), ("audit_log", "read_all"), ("study_consensus", "read_all"))
#: the blinding policies look studies up: a library set up without them would silently not blind
_NEEDED = ("studies", "study_records", "study_readers", "annotations", "ann_record_counts", "ann_author_counts",
           "study_consensus")


def _require_server(db: Database) -> None:
    if not db.is_server:
        raise LibraryError(db.location, "roles and row-level security need a PostgreSQL library")


def setup_access(db: Database) -> None:
    """Create the three group roles (once per server), turn row-level security on and grant per role."""
    _require_server(db)
    tables = {row[0] for row in db.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    missing = [table for table in _NEEDED if table not in tables]
    if missing:
        raise LibraryError(db.location, f"lacks the tables {', '.join(missing)}: open it with this ECG Studio"
                                        " (or run 'python -m ecgstudio.store setup') before setting up access")
    with db.transaction() as conn:
        db.dialect.migration_lock(conn)
        for role in (READER, ADJUDICATOR, ADMIN):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (role,)).fetchall():
                conn.ddl(f"CREATE ROLE {role} NOLOGIN")
        conn.ddl(f"GRANT {READER}, {ADJUDICATOR} TO {ADMIN} WITH ADMIN OPTION")
        conn.ddl(f"GRANT USAGE ON SCHEMA {_current_schema(conn)} TO {READER}, {ADJUDICATOR}, {ADMIN}")
        conn.ddl(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {_current_schema(conn)} TO {READER}, {ADMIN}")
        for grants, role in ((_READER_GRANTS, READER), (_ADJUDICATOR_GRANTS, ADJUDICATOR), (_ADMIN_GRANTS, ADMIN)):
            for table, privileges in grants.items():
                if table in tables:
                    conn.ddl(f"GRANT {privileges} ON {table} TO {role}")
        for table in {policy[0] for policy in _POLICIES} & tables:
            conn.ddl(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for table, name in _RETIRED:
            conn.ddl(f"DROP POLICY IF EXISTS {name} ON {table}")
        for table, name, command, roles, using, check in _POLICIES:
            if table not in tables:
                continue
            conn.ddl(f"DROP POLICY IF EXISTS {name} ON {table}")
            conn.ddl(f"CREATE POLICY {name} ON {table} FOR {command} TO {roles}"
                     + (f" USING ({using})" if using else "") + (f" WITH CHECK ({check})" if check else ""))


def add_user(db: Database, name: str, kind: str = "reader", password: str | None = None) -> None:
    """A login role for one person: ``kind`` is ``reader``, ``adjudicator`` or ``admin``.

    The role name is what the app shows as the author of their annotations.
    """
    _require_server(db)
    if kind not in ROLES:
        raise ValueError(f"kind must be one of {', '.join(ROLES)}, got {kind!r}")
    identifier = _identifier(name)
    with db.transaction() as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (name,)).fetchall()
        if not exists:
            conn.ddl(f"CREATE ROLE {identifier} LOGIN")
        if kind == "admin":  # role attributes are not inherited from a group: the person's role needs it
            conn.ddl(f"ALTER ROLE {identifier} CREATEROLE")
        if password is not None:
            conn.ddl(f"ALTER ROLE {identifier} PASSWORD {_quote(password)}")
        conn.ddl(f"GRANT {', '.join(ROLES[kind])} TO {identifier}")


def remove_user(db: Database, name: str) -> None:
    """Stop someone logging in; their annotations and audit rows stay, under their name."""
    _require_server(db)
    with db.transaction() as conn:
        conn.ddl(f"ALTER ROLE {_identifier(name)} NOLOGIN")


def _identifier(name: str) -> str:
    if not name.replace("_", "").replace(".", "").isalnum() or not name[:1].isalpha() or len(name) > 63:
        raise ValueError(f"a user name is letters, digits, '_' and '.', starting with a letter; got {name!r}")
    return f'"{name}"'


def _current_schema(conn) -> str:
    return conn.execute("SELECT current_schema()").fetchall()[0][0]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
