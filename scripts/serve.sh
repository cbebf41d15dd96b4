#!/usr/bin/env bash
# Serves the console with seeded demo data on http://127.0.0.1:${PORT:-8080}:
# the release client, served with its JSON API by billing-server over SQLite.
# Installs what is missing first.
#   RESET=1   start again from the demo seed (deletes $BILLING_DB)
#   STATIC=1  serve the client alone on the in-browser mock store (trunk serve)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
PORT="${PORT:-8080}"
DB="${BILLING_DB:-$ROOT/billing.sqlite}"
export BILLING_OPERATOR_TOKEN="${BILLING_OPERATOR_TOKEN:-demo-operator-token}"

if [ "${STATIC:-0}" = 1 ]; then
  step "Serving the client alone (demo data, in this browser) on http://127.0.0.1:$PORT"
  exec trunk serve --release --port "$PORT" --address 127.0.0.1
fi

step "Building the console (release, wasm-opt -Oz; no mock store: the server answers)"
trunk build --release --no-default-features

step 'Building the server (profile "server": optimised, panics unwind)'
cargo build --profile server --locked -p billing-server

# Demo sign-in (anyone may sign in as any seeded user, no password): for
# trying the console on this machine only.
args=(--demo --addr "127.0.0.1:$PORT" --dist "$ROOT/dist" --db "$DB")
if [ "${RESET:-0}" = 1 ]; then
  args+=(--reset)
fi
step "Serving the console on http://127.0.0.1:$PORT in demo mode: anyone may sign in as any seeded user (database $DB; RESET=1 to start again from the demo seed)"
echo "    metering: curl -X POST http://127.0.0.1:$PORT/api/ReportUsage -H 'Authorization: Bearer \$BILLING_OPERATOR_TOKEN' -H 'Content-Type: application/json' -d '{\"TenantId\":\"t-acme\",\"Kind\":\"TokenPackage\",\"Amount\":1000,\"IdempotencyKey\":\"k1\"}'"
echo "    top-up:   curl -X POST http://127.0.0.1:$PORT/api/TopUp -H 'Authorization: Bearer \$BILLING_OPERATOR_TOKEN' -H 'Content-Type: application/json' -d '{\"TenantId\":\"t-globex\",\"AmountCents\":5000,\"IdempotencyKey\":\"pay-1\"}'"
exec "$ROOT/target/server/billing-server" "${args[@]}"
