#!/usr/bin/env bash
# Fuzz the served API from its own OpenAPI document with schemathesis
# (pinned, from PyPI, in a project-local virtualenv), signed in as the main
# account and as a sub-account, with every check. Fails on any failure, an
# unresolvable reference or a 5xx. Called by scripts/test.sh; runs alone too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCHEMATHESIS_VERSION="4.32.5"
VENV="$ROOT/.tools/schemathesis-$SCHEMATHESIS_VERSION"
EXAMPLES="${FUZZ_EXAMPLES:-25}"

step() { printf '\n==> %s\n' "$*"; }

step "schemathesis $SCHEMATHESIS_VERSION (PyPI, project-local in .tools/)"
if [ -x "$VENV/bin/st" ] && "$VENV/bin/st" --version | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "    present"
else
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

step "Starting billing-server (demo data, temporary SQLite) for the fuzzer"
cargo build --quiet -p billing-server --locked
WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
export BILLING_FUZZ_OPERATOR="fuzz-operator-$RANDOM$RANDOM"
# The rate limit is tested in tests/security.rs; here it would only hide the
# actions behind 429s.
# Its own temporary SQLite file, whatever DATABASE_URL the caller has
# (test.sh exports one for the PostgreSQL tests, which the server would
# otherwise take).
env -u DATABASE_URL ./target/debug/billing-server --demo --db "$WORK/fuzz.sqlite" --addr "127.0.0.1:$PORT" \
  --operator-token "$BILLING_FUZZ_OPERATOR" --write-burst 1000000 >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

sign_in() {
  curl -fs -i -X POST "$BASE/api/SignIn" -H 'Content-Type: application/json' -H "Origin: $BASE" \
    -d "{\"UserId\":\"$1\"}" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: billing_session=\([^;]*\).*/\1/p'
}

fuzz() {
  local label="$1"; shift
  step "Fuzzing every operation ($label): --checks all, $EXAMPLES examples each"
  local rc=0
  "$VENV/bin/st" --config-file scripts/schemathesis.toml run "$BASE/api/openapi.json" \
    --checks all --max-examples "$EXAMPLES" --seed 20261201 --workers 1 \
    -H "Origin: $BASE" "$@" | tee "$WORK/st.txt" || rc=$?
  # schemathesis exits non-zero on a failure (a 5xx is one: not_a_server_error
  # is among the checks); an error of its own or an unresolvable reference is
  # caught here too. The server's own account of a 5xx is shown with it.
  if [ "$rc" -ne 0 ] || grep -Eqi "^Failures:|^=+ ERRORS =+|unresolvable" "$WORK/st.txt"; then
    echo "schemathesis ($label): failures above; the server said:" >&2
    grep -E 'request failed|storage failed|panicked' "$WORK/server.log" >&2 || true
    return 1
  fi
}

# Sign-in, sign-out and "sign out everywhere" would end the fuzzer's own
# session: they are fuzzed on their own, without one.
SESSION_OPS=(--exclude-operation-id SignIn --exclude-operation-id SignOut --exclude-operation-id SignOutEverywhere)
BILLING_FUZZ_SESSION="$(sign_in u-acme-main)" fuzz "signed in as the main account" "${SESSION_OPS[@]}"
BILLING_FUZZ_SESSION="$(sign_in u-acme-sub)" fuzz "signed in as a sub-account" "${SESSION_OPS[@]}"
# A client generated from the same document reads every read operation.
scripts/generated-client.sh "$BASE" "$(sign_in u-acme-main)" "$(sign_in u-acme-sub)"
BILLING_FUZZ_SESSION="" fuzz "sign-in and sign-out" \
  --include-operation-id SignIn --include-operation-id SignOut --include-operation-id SignOutEverywhere
if grep -E 'request failed|panicked' "$WORK/server.log"; then
  echo "the server answered 5xx or panicked (above)" >&2
  exit 1
fi
step "API fuzzing passed"
