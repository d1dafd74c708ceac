#!/usr/bin/env bash
# The whole test suite: once on SQLite, then again on PostgreSQL when a server is
# reachable (WAVETAG_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}

echo "== tests on SQLite"
"$PY" -m pytest "$@"

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
  echo "== tests on PostgreSQL ($PG_URL)"
  # The signal core and the command tests (own SQLite files) do not depend on the database;
  # the browser tests test the pages' scripts over views the page and API tests run here
  # too, so only the end-to-end workflow (two annotators and an adjudicator) runs again.
  DATABASE_URL="$PG_URL" "$PY" -m pytest --ignore=tests/signal --ignore=tests/test_cli.py \
    --ignore=tests/browser tests tests/browser/test_workflow_e2e.py "$@"
elif [ "${CI:-}" = "true" ] && [ -z "${WAVETAG_TEST_SKIP_POSTGRES:-}" ]; then
  echo "PostgreSQL leg required in CI (set WAVETAG_TEST_SKIP_POSTGRES=1 to skip)" >&2
  exit 1
fi
