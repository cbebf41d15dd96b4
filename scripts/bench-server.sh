#!/usr/bin/env bash
# Server benchmark: prints figures, never a test. The dataset: 1,000,000
# resources over 10,000 tenants plus the demo tenant t-acme with 100,000 of
# its own (crates/billing-server/examples/bench_db.rs, runnable alone), with
# the notices and reminders already due. Backends: SQLite, PostgreSQL with one
# replica and with two. Each figure is printed beside two yardsticks measured
# in the same run: a bare axum program with one constant route, and /healthz
# through the server's whole middleware stack. wrk runs on the same 2 cores.
#   TENANTS=10000 PER=100 BIG=100000 DUR=10s BACKENDS="sqlite pg1 pg2"
#   BACKENDS="" measures only the yardstick and the client's page.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh >/dev/null
TENANTS="${TENANTS:-10000}"
PER="${PER:-100}"
BIG="${BIG:-100000}"
DUR="${DUR:-10s}"
BACKENDS="${BACKENDS-sqlite pg1 pg2}"
WORK="$(mktemp -d)"
PORT_A=18101
PORT_B=18102
BARE_PORT=18100
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

command -v wrk >/dev/null || { step "Installing wrk (apt-get)"; as_root apt-get install -y -qq wrk >/dev/null; }

step "Building (profile server): billing-server, the dataset generator, the bare axum yardstick"
cargo build --profile server --locked -p billing-server --bins --examples >/dev/null 2>&1
BIN=target/server/billing-server
TOKEN=bench-operator
# One session drives every write here: the per-session write rate limit
# (tests/security.rs) would measure itself, not the transaction.
UNLIMITED="--write-burst 1000000000 --write-interval-ms 1"

rss() { awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$1/status"; }
wait_ready() { until curl -sf -o /dev/null "http://127.0.0.1:$1/readyz"; do sleep 0.005; done; }
# wrk summary on one line: p50, p99, req/s (and non-2xx, if any).
summary() {
  awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF}
       END {printf "p50 %s, p99 %s, %s req/s", p50, p99, rps; if (bad) printf " (non-2xx: %s)", bad; print ""}'
}
post_lua() { # $1 body, $2 cookie → a wrk script file
  local f; f="$(mktemp --suffix=.lua -p "$WORK")"
  cat > "$f" <<LUA
wrk.method = "POST"
wrk.body = '$1'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = "ORIGIN"
wrk.headers["Cookie"] = "$2"
LUA
  echo "$f"
}
meter_lua() { # unique idempotency keys per thread and request
  local f; f="$(mktemp --suffix=.lua -p "$WORK")"
  cat > "$f" <<LUA
local threads, n, id = 0, 0, 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) id = wrk.thread:get("id") end
request = function()
  n = n + 1
  local body = string.format('{"TenantId":"t-acme","Kind":"TokenPackage","Amount":1,"IdempotencyKey":"bench-%s-%d-%d"}', "$1", id, n)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN"}, body)
end
LUA
  echo "$f"
}
sign_in() { # $1 port, $2 user → cookie
  curl -s -i -X POST -H 'Content-Type: application/json' -H "Origin: http://127.0.0.1:$1" \
    "http://127.0.0.1:$1/api/SignIn" -d "{\"UserId\":\"$2\"}" | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}'
}
wrk_at() { # $1 connections, $2 url, [$3 lua]
  if [ -n "${3:-}" ]; then wrk -t2 -c"$1" -d"$DUR" --latency -s "$3" "$2"; else wrk -t2 -c"$1" -d"$DUR" --latency "$2"; fi
}

step "The yardstick: bare axum, one constant route, 64 connections, $DUR"
target/server/examples/bare_axum "127.0.0.1:$BARE_PORT" & PIDS+=($!)
until curl -sf -o /dev/null "http://127.0.0.1:$BARE_PORT/"; do sleep 0.01; done
BARE=$(wrk_at 64 "http://127.0.0.1:$BARE_PORT/" | summary)
echo "    bare axum: $BARE"

step "The client's page through the whole server (brotli accepted, from memory), 64 connections, $DUR"
trunk build --release --no-default-features >/dev/null 2>&1
"$BIN" --demo --db "$WORK/static.sqlite" --dist "$ROOT/dist" --addr "127.0.0.1:$PORT_A" >/dev/null 2>&1 & STATIC_PID=$!; PIDS+=($STATIC_PID)
wait_ready $PORT_A
br_lua="$(mktemp --suffix=.lua -p "$WORK")"
echo 'wrk.headers["Accept-Encoding"] = "br, gzip"' > "$br_lua"
echo "    index.html: $(wrk_at 64 "http://127.0.0.1:$PORT_A/pay-as-you-go" "$br_lua" | summary)"
echo "    (bare axum, same run: $BARE)"
kill $STATIC_PID 2>/dev/null || true; wait $STATIC_PID 2>/dev/null || true

run_backend() { # $1 name, $2 database, $3 replicas
  local name=$1 db=$2 replicas=$3
  step "[$name] dataset: $BIG resources in t-acme + $TENANTS tenants x $PER"
  target/server/examples/bench_db "$db" "$TENANTS" "$PER" "$BIG" | sed 's/^/    /'
  target/server/examples/bench_forecasts "$db" | sed 's/^/    /'

  local start pid
  start=$(date +%s%N)
  "$BIN" --demo --database "$db" --addr "127.0.0.1:$PORT_A" --operator-token "$TOKEN" $UNLIMITED >/dev/null 2>&1 & pid=$!; PIDS+=($pid)
  wait_ready $PORT_A
  echo "    cold start (process start to /readyz): $(( ($(date +%s%N) - start) / 1000000 )) ms"
  echo "    resident memory after start: $(rss $pid)"
  local pid_b=""
  if [ "$replicas" = 2 ]; then
    "$BIN" --demo --database "$db" --addr "127.0.0.1:$PORT_B" --operator-token "$TOKEN" $UNLIMITED >/dev/null 2>&1 & pid_b=$!; PIDS+=($pid_b)
    wait_ready $PORT_B
  fi

  local big small
  big=$(sign_in $PORT_A u-acme-main)
  small=$(sign_in $PORT_A u-bench-00042-main)
  local list='{"Tab":"PayAsYouGo","Status":"Available","Sort":"ExpiresAsc","PageNumber":1,"PageSize":20}'
  local big_lua small_lua pp_lua
  big_lua=$(post_lua "$list" "$big"); small_lua=$(post_lua "$list" "$small")
  pp_lua=$(post_lua '{"Enabled":false}' "$big")
  sed -i "s#ORIGIN#http://127.0.0.1:$PORT_A#" "$big_lua" "$small_lua" "$pp_lua"

  echo "    /healthz through the middleware, 64 connections: $(wrk_at 64 "http://127.0.0.1:$PORT_A/healthz" | summary)"
  echo "    (bare axum, same run: $BARE)"

  local t1=()
  for i in $(seq 1 30); do
    t1+=("$(curl -s -o /dev/null -w '%{time_total}' -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
      "http://127.0.0.1:$PORT_A/api/ReportUsage" -d "{\"TenantId\":\"t-acme\",\"Kind\":\"TokenPackage\",\"Amount\":1,\"IdempotencyKey\":\"alone-$name-$i\"}")")
  done
  echo "    ReportUsage on the big tenant, one request alone (median of 30): $(printf '%s\n' "${t1[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", a[int((NR+1)/2)]*1000}')"

  local meter_a meter_b
  meter_a=$(meter_lua "$name-a"); meter_b=$(meter_lua "$name-b")
  if [ "$replicas" = 2 ]; then
    wrk_at 8 "http://127.0.0.1:$PORT_B/api/ReportUsage" "$meter_b" > "$WORK/b.txt" & local wb=$!
    echo "    ReportUsage sustained, 16 connections over 2 replicas: A $(wrk_at 8 "http://127.0.0.1:$PORT_A/api/ReportUsage" "$meter_a" | summary)"
    wait $wb; echo "                                                         B $(summary < "$WORK/b.txt")"
  else
    echo "    ReportUsage sustained, 16 connections: $(wrk_at 16 "http://127.0.0.1:$PORT_A/api/ReportUsage" "$meter_a" | summary)"
  fi

  echo "    DescribeResources, big tenant (page 1 of ~50,000 rows), 64 connections: $(wrk_at 64 "http://127.0.0.1:$PORT_A/api/DescribeResources" "$big_lua" | summary)"
  echo "    DescribeResources, small tenant, 64 connections: $(wrk_at 64 "http://127.0.0.1:$PORT_A/api/DescribeResources" "$small_lua" | summary)"
  local idle under
  idle=$(wrk_at 8 "http://127.0.0.1:$PORT_A/api/DescribeResources" "$small_lua" | summary)
  wrk_at 16 "http://127.0.0.1:$PORT_A/api/ReportUsage" "$(meter_lua "$name-load")" > "$WORK/load.txt" & local wl=$!
  under=$(wrk_at 8 "http://127.0.0.1:$PORT_A/api/DescribeResources" "$small_lua" | summary)
  wait $wl
  echo "    small tenant DescribeResources at 8 connections, idle:                   $idle"
  echo "    the same while the big tenant is metered at 16 connections:             $under"
  echo "      (the metering meanwhile: $(summary < "$WORK/load.txt"))"
  echo "    ModifyPostpaidSetting (disable; a full write transaction), 16 connections: $(wrk_at 16 "http://127.0.0.1:$PORT_A/api/ModifyPostpaidSetting" "$pp_lua" | summary)"
  echo "    resident memory after load: $(rss $pid)${pid_b:+, replica B $(rss $pid_b)}"
  kill $pid ${pid_b:+$pid_b} 2>/dev/null || true
  wait $pid ${pid_b:+$pid_b} 2>/dev/null || true
}

for b in $BACKENDS; do
  case $b in
    sqlite) run_backend sqlite "$WORK/bench.sqlite" 1 ;;
    pg1|pg2)
      source scripts/postgres.sh >/dev/null
      server="${DATABASE_URL%/*}"
      psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS billing_bench WITH (FORCE)" -c "CREATE DATABASE billing_bench" >/dev/null
      run_backend "$b" "$server/billing_bench" "${b#pg}"
      psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS billing_bench WITH (FORCE)" >/dev/null
      ;;
  esac
done
