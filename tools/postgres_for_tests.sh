#!/bin/sh
# `make test` runs the library suite on PostgreSQL too; it needs the server binaries (initdb, pg_ctl).
# Found: nothing to do. Missing: install the `postgresql` package when root with apt-get, else say what to
# install (the PostgreSQL tests then skip, naming the reason; the SQLite tests run regardless).
set -u
PY=$(command -v python3 || echo .venv/bin/python)
if "$PY" tools/pgcluster.py --check >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server not found: installing it for the library tests (apt-get install postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq postgresql >/dev/null 2>&1; } \
    || echo "could not install postgresql; the PostgreSQL library tests will be skipped"
else
  "$PY" tools/pgcluster.py --check
  echo "the PostgreSQL library tests will be skipped; install the server with: sudo apt-get install postgresql"
fi
exit 0
