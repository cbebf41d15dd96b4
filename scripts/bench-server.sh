#!/usr/bin/env bash
# Server benchmark (prints figures; never a test): 100,000 resources in one
# tenant; cold start; resident memory; DescribeResources latency p50/p99 and
# throughput at 64 connections, beside the static-file route, same run (wrk).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh >/dev/null
N="${N:-100000}"
PORT="${PORT:-18099}"
DUR="${DUR:-10s}"
DB="$(mktemp -d)/bench.sqlite"
command -v wrk >/dev/null || { step "Installing wrk (apt-get)"; as_root apt-get install -y -qq wrk >/dev/null; }
[ -f dist/index.html ] || trunk build --release --no-default-features >/dev/null 2>&1

step "Building (release) and writing a database with $N extra resources"
cargo build --profile server --locked -p billing-server --bins --examples >/dev/null 2>&1
"target/server/examples/bench_db" "$DB" "$N"

step "Cold start: process start to first answered request"
start=$(date +%s%N)
"target/server/billing-server" --addr "127.0.0.1:$PORT" --db "$DB" --dist dist >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
until curl -s -o /dev/null -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/api/DescribeServerInfo" -d '{}'; do sleep 0.01; done
echo "    cold start: $(( ($(date +%s%N) - start) / 1000000 )) ms (loads all $N resources into memory)"
echo "    resident memory after start: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$PID/status)"

COOKIE=$(curl -s -i -X POST -H 'Content-Type: application/json' -H "Origin: http://127.0.0.1:$PORT" \
  "http://127.0.0.1:$PORT/api/SignIn" -d '{"UserId":"u-acme-main"}' | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
LUA=$(mktemp --suffix=.lua)
cat > "$LUA" <<LUAEOF
wrk.method = "POST"
wrk.body = '{"Tab":"PayAsYouGo","Status":"Available","Sort":"ExpiresAsc","PageNumber":1,"PageSize":20}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "$COOKIE"
LUAEOF
one=$(curl -s -o /dev/null -w '%{time_total}' -X POST -H 'Content-Type: application/json' -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/DescribeResources" \
  -d '{"Tab":"PayAsYouGo","Status":"Available","Sort":"ExpiresAsc","PageNumber":1,"PageSize":20}')
echo "    one DescribeResources over 50,000 matching rows: ${one}s"

step "DescribeResources (page 1 of the 50,000 pay-as-you-go rows), 64 connections, $DUR"
wrk -t2 -c64 -d"$DUR" --latency -s "$LUA" "http://127.0.0.1:$PORT/api/DescribeResources" | grep -E "Latency|50%|99%|Requests/sec|requests in|Non-2xx"

step "Static route (index.html), 64 connections, $DUR"
wrk -t2 -c64 -d"$DUR" --latency "http://127.0.0.1:$PORT/index.html" | grep -E "Latency|50%|99%|Requests/sec|requests in|Non-2xx"

echo "    resident memory after load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$PID/status)"
