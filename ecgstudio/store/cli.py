"""``python -m ecgstudio.store``: set up a team library, manage its readers, copy a library between backends.

    python -m ecgstudio.store setup postgresql://admin@server/ecg        # tables, roles, row-level security
    python -m ecgstudio.store add-user postgresql://admin@server/ecg alice --kind reader --password-stdin
    python -m ecgstudio.store copy ~/library.sqlite postgresql://admin@server/ecg   # and back, for export
    python -m ecgstudio.store check --library postgresql://alice@server/ecg
    python -m ecgstudio.store blinding postgresql://dana@server/ecg "triage" off   # an admin, after adjudication

Each command prints one ``error:`` line and exits 2 when the library refuses or cannot be reached.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from ecgstudio.store.errors import LibraryError, display_location
from ecgstudio.store.location import ENV_VAR, resolve_location


def _library(value: str | None) -> str:
    location = resolve_location(value)
    if location is None:
        raise SystemExit(f"error: name the library (a file or postgresql:// URL) or set {ENV_VAR}")
    return location


def _setup(args: argparse.Namespace) -> str:
    from ecgstudio.library_schemas import library_schemas
    from ecgstudio.store.access import setup_access
    from ecgstudio.store.db import Database

    db = Database(_library(args.library))
    for schema in library_schemas():
        db.ensure(schema)
    setup_access(db)
    return f"{display_location(db.location)}: tables at {db.versions()}, roles and row-level security in place"


def _add_user(args: argparse.Namespace) -> str:
    from ecgstudio.store.access import add_user
    from ecgstudio.store.db import Database

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    add_user(Database(_library(args.library)), args.name, args.kind, password)
    return f"{args.name} can now connect as a{'n' if args.kind == 'admin' else ''} {args.kind}"


def _copy(args: argparse.Namespace) -> str:
    from ecgstudio.library_schemas import library_schemas
    from ecgstudio.store.db import Database
    from ecgstudio.store.transfer import copy_library, library_digest

    source, destination = Database(args.source), Database(args.destination)
    schemas = library_schemas()
    counts = copy_library(source, destination, schemas)
    if library_digest(source, schemas) != library_digest(destination, schemas):
        raise LibraryError(destination.location, "the copy differs from the source; it was kept for inspection")
    rows = ", ".join(f"{table} {n}" for table, n in counts.items())
    return f"copied {display_location(source.location)} -> {display_location(destination.location)}: {rows}; " \
           "contents verified identical"


def _blinding(args: argparse.Namespace) -> str:
    from ecgstudio.store.db import Database
    from ecgstudio.studies.store import StudyError, StudyStore

    db = Database(_library(args.library))
    studies = StudyStore(db)
    study = next((s for s in studies.studies() if s.name == args.study), None)
    if study is None:
        raise StudyError(f"no study named {args.study!r} in {display_location(db.location)}")
    studies.set_blinded(study, args.state == "on", db.user or getpass.getuser())
    return (f"study {study.name!r} is now {'blinded' if args.state == 'on' else 'unblinded'}: its readers see "
            f"{'only their own' if args.state == 'on' else 'every reader'}'s labels")


def _check(args: argparse.Namespace) -> str:
    from ecgstudio.library_schemas import library_schemas
    from ecgstudio.store.db import Database

    db = Database(_library(args.library))
    known = {schema.component: schema.version for schema in library_schemas()}
    return f"{display_location(db.location)}: {db.integrity_check()}; versions {db.versions()} (this app: {known});" \
           f" connected as {db.user or 'the file owner'}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ecgstudio.store", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup", help="create or upgrade a library's tables; on PostgreSQL also roles and RLS")
    setup.add_argument("library", nargs="?", help=f"file or postgresql:// URL (default: ${ENV_VAR})")
    setup.set_defaults(run=_setup)
    user = commands.add_parser("add-user", help="a login role for one person on a PostgreSQL library")
    user.add_argument("library")
    user.add_argument("name", help="the role name; it is the author name on their annotations")
    user.add_argument("--kind", choices=("reader", "adjudicator", "admin"), default="reader")
    user.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    user.set_defaults(run=_add_user)
    copy = commands.add_parser("copy", help="copy a whole library into a new, empty one (SQLite <-> PostgreSQL)")
    copy.add_argument("source")
    copy.add_argument("destination")
    copy.set_defaults(run=_copy)
    check = commands.add_parser("check", help="integrity, schema versions and the connected user")
    check.add_argument("--library")
    check.set_defaults(run=_check)
    blinding = commands.add_parser("blinding", help="blind a reading study, or lift its blinding (an admin's role)")
    blinding.add_argument("library")
    blinding.add_argument("study", help="the study's name")
    blinding.add_argument("state", choices=("on", "off"))
    blinding.set_defaults(run=_blinding)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(args.run(args))
    except (LibraryError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
