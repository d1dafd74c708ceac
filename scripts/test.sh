#!/usr/bin/env bash
# The whole test suite: on SQLite, and its database-bound tests again on PostgreSQL when a
# server is reachable (WAVETAG_TEST_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432/test), the two side by side on two cores or more.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}

PG_URL=${WAVETAG_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
if DATABASE_URL="$PG_URL" "$PY" -c "
import os, sys, psycopg
from wavetag.settings import database_from_url
d = database_from_url(os.environ['DATABASE_URL'])
try:
    psycopg.connect(dbname=d['NAME'], user=d['USER'] or None, password=d['PASSWORD'] or None,
                    host=d['HOST'] or None, port=d['PORT'] or None, connect_timeout=3).close()
except Exception as exc:
    print(f'PostgreSQL not reachable ({exc}); skipping the PostgreSQL leg', file=sys.stderr)
    sys.exit(1)
" ; then
  # The signal core and the command tests (own SQLite files) do not depend on the database;
  # the browser tests test the pages' scripts over views the page and API tests run here
  # too, so only the end-to-end workflow (two annotators and an adjudicator) runs again.
  pg_leg() {
    DATABASE_URL="$PG_URL" "$PY" -m pytest --ignore=tests/signal --ignore=tests/test_cli.py \
      --ignore=tests/browser tests tests/browser/test_workflow_e2e.py "$@"
  }
  # The two legs share nothing (each run has its own WAVETAG_HOME, the SQLite leg never
  # touches PostgreSQL), so on a machine with two cores or more they run side by side and
  # the suite takes about as long as its longer leg. WAVETAG_TEST_SERIAL=1 runs them one
  # after the other.
  if [ -z "${WAVETAG_TEST_SERIAL:-}" ] && [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ]; then
    pg_log=$(mktemp)
    trap 'rm -f "$pg_log"' EXIT
    echo "== tests on SQLite, and on PostgreSQL ($PG_URL) beside them (its output follows)"
    pg_leg "$@" > "$pg_log" 2>&1 &
    pg_pid=$!
    sqlite_rc=0
    "$PY" -m pytest "$@" || sqlite_rc=$?
    pg_rc=0
    wait "$pg_pid" || pg_rc=$?
    echo "== tests on PostgreSQL ($PG_URL)"
    cat "$pg_log"
    echo "== SQLite leg: exit status $sqlite_rc; PostgreSQL leg: exit status $pg_rc"
    [ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ]
  else
    echo "== tests on SQLite"
    "$PY" -m pytest "$@"
    echo "== tests on PostgreSQL ($PG_URL)"
    pg_leg "$@"
  fi
elif [ "${CI:-}" = "true" ] && [ -z "${WAVETAG_TEST_SKIP_POSTGRES:-}" ]; then
  echo "PostgreSQL leg required in CI (set WAVETAG_TEST_SKIP_POSTGRES=1 to skip)" >&2
  exit 1
else
  echo "== tests on SQLite"
  "$PY" -m pytest "$@"
fi
