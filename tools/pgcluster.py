"""A throwaway PostgreSQL cluster for the tests and benchmarks: initdb in a temporary folder, a free port.

Why not a system server: the tests must not depend on (or touch) one, and must run the same on every
machine with the server binaries installed. PostgreSQL refuses to run as root, so as root the cluster
is created and run as the ``postgres`` system user (the Debian package creates it); as anyone else it
runs as that user. Authentication is ``trust`` on 127.0.0.1 only: the roles' permissions are still
enforced by the server, which is what the tests are about.

``python tools/pgcluster.py --check`` exits 0 when the binaries are found and prints what to install
otherwise (``make test`` uses it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CANDIDATE_BINDIRS = tuple(Path(f"/usr/lib/postgresql/{v}/bin") for v in (15, 16, 17, 14))
INSTALL_HINT = "install the PostgreSQL server: sudo apt-get install postgresql (Debian/Ubuntu)"


def find_bindir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``: $ECGSTUDIO_PG_BINDIR, the Debian folders, then PATH."""
    candidates = [Path(os.environ["ECGSTUDIO_PG_BINDIR"])] if os.environ.get("ECGSTUDIO_PG_BINDIR") else []
    candidates += list(CANDIDATE_BINDIRS)
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def missing_reason() -> str | None:
    """Why no cluster can be started here (None when one can)."""
    if find_bindir() is None:
        return f"PostgreSQL server binaries (initdb, pg_ctl) not found; {INSTALL_HINT}"
    if os.geteuid() == 0:
        try:
            import pwd
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' system user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """One server in ``folder`` on ``port``; :meth:`stop` and :meth:`start` again keep its data."""

    def __init__(self, fsync: bool = False):
        reason = missing_reason()
        if reason:
            raise RuntimeError(reason)
        self.bindir = find_bindir()
        self.folder = Path(tempfile.mkdtemp(prefix="ecgstudio-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.fsync = fsync
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
            self.folder.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync",
                  "--locale=C.UTF-8")
        self.start()

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120, cwd=self.folder)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=60"
                   f" -c fsync={'on' if self.fsync else 'off'} -c synchronous_commit={'on' if self.fsync else 'off'}"
                   " -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, user: str = "postgres", database: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh database (owned by ``postgres``); returns its URL for the superuser."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(database=name)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass  # already stopped
        time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        problem = missing_reason()
        print(problem or f"PostgreSQL server binaries: {find_bindir()}")
        sys.exit(1 if problem else 0)
    sys.exit("usage: pgcluster.py --check")
