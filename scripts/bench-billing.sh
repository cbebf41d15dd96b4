#!/usr/bin/env bash
# Postpaid billing benchmark: prints figures, never a test. On the storage
# benchmark's dataset (crates/billing-server/examples/bench_db.rs: 10,000
# tenants of 100 resources plus t-acme with 100,000), SQLite by default or
# DATABASE_URL=postgres://… (an empty database): the settlement of one hour
# of postpaid usage for every tenant, webhook deliveries per second to a
# local receiver, and the delay from event to receipt (p50/p99).
#   TENANTS=10000 PER=100 BIG=100000
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh >/dev/null
TENANTS="${TENANTS:-10000}"
PER="${PER:-100}"
BIG="${BIG:-100000}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

step "Building (profile server): the dataset generator and the billing benchmark"
cargo build --profile server --locked -p billing-server --example bench_db --example bench_billing >/dev/null 2>&1
DB="${DATABASE_URL:-$WORK/bench.sqlite}"

step "Dataset: $TENANTS tenants x $PER resources + $BIG in t-acme"
target/server/examples/bench_db "$DB" "$TENANTS" "$PER" "$BIG" | sed 's/^/    /'

step "Settlement, webhook throughput, delivery delay"
target/server/examples/bench_billing "$DB" | sed 's/^/    /'
