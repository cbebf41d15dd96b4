#!/usr/bin/env bash
# For the benchmarks: the release server over a throwaway SQLite demo
# database serving dist/, and a signed-in session. Sourced after setup.sh.

# start_demo_server PORT DIR: billing-server --demo on 127.0.0.1:PORT with
# its database and log in DIR; sets DEMO_PID and DEMO_BASE, and stops the
# server when the script exits.
start_demo_server() {
  target/server/billing-server --demo --addr "127.0.0.1:$1" --dist "$ROOT/dist" --db "$2/demo.sqlite" >"$2/server.log" 2>&1 &
  DEMO_PID=$!
  DEMO_BASE="http://127.0.0.1:$1"
  trap 'kill $DEMO_PID 2>/dev/null || true' EXIT
  until curl -sf -o /dev/null "$DEMO_BASE/readyz"; do sleep 0.05; done
}

# session_cookie USER: sign in to the demo server as USER, as the sign-in
# page does; prints the session cookie (name=value).
session_cookie() {
  curl -s -D - -o /dev/null -X POST "$DEMO_BASE/api/SignIn" -H 'Content-Type: application/json' \
    -H "Origin: $DEMO_BASE" -d "{\"UserId\":\"$1\"}" | awk -F'[:;] *' 'tolower($1)=="set-cookie" {print $2; exit}'
}
