#!/usr/bin/env bash
# Lighthouse (npm, pinned 12.2.3) on Debian Chromium against the console as
# served by billing-server with the demo data: the mobile preset (the
# default: a mid-range phone, 4x CPU slowdown, slow 4G) on
#   - the default tab, signed in as the main account (session cookie from
#     SignIn, sent with every request), and
#   - the sign-in page (no session).
# Prints Performance, LCP, TBT, CLS and the bytes transferred, beside the
# targets. A benchmark, not a test: it prints figures and never fails on
# them. RUNS=3 runs each view that many times and prints the median.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/setup.sh
source scripts/setup.sh >/dev/null
# shellcheck source=scripts/browsers.sh
source scripts/browsers.sh >/dev/null
LIGHTHOUSE_VERSION="12.2.3"
RUNS="${RUNS:-3}"
PORT="${PORT:-18180}"

step "Lighthouse $LIGHTHOUSE_VERSION (npm, project-local in .tools/)"
LH="$ROOT/.tools/lighthouse/node_modules/.bin/lighthouse"
if [ -x "$LH" ] && "$LH" --version | grep -qx "$LIGHTHOUSE_VERSION"; then
  echo "    present"
else
  mkdir -p "$ROOT/.tools/lighthouse"
  timed npm install --silent --no-audit --no-fund -E --prefix "$ROOT/.tools/lighthouse" "lighthouse@$LIGHTHOUSE_VERSION"
fi

step "Building the console (release) and the server (profile server)"
trunk build --release --no-default-features >/dev/null 2>&1
cargo build --profile server --locked -p billing-server >/dev/null 2>&1

WORK="$(mktemp -d)"
# shellcheck source=scripts/demo-server.sh
source scripts/demo-server.sh
start_demo_server "$PORT" "$WORK"
BASE="$DEMO_BASE"
# A session for the main account, as the sign-in page makes one.
COOKIE="$(session_cookie u-acme-main)"
[ -n "$COOKIE" ] || { echo "SignIn gave no session cookie" >&2; exit 1; }

run() { # $1 name, $2 path, $3 extra headers JSON or ""
  local i out
  for i in $(seq 1 "$RUNS"); do
    out="$WORK/$1-$i.json"
    local extra=()
    [ -n "$3" ] && extra=(--extra-headers "$3")
    CHROME_PATH="$(command -v chromium)" "$LH" "$BASE$2" --quiet --output=json --output-path="$out" \
      --only-categories=performance --chrome-flags="--headless=new --no-sandbox --disable-gpu" "${extra[@]}" >/dev/null 2>&1 \
      || { echo "lighthouse failed on $1 (run $i)" >&2; continue; }
  done
  python3 - "$1" "$WORK" "$RUNS" <<'PY'
import json, glob, statistics, sys
name, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = []
for f in sorted(glob.glob(f"{work}/{name}-*.json")):
    r = json.load(open(f))
    a = r["audits"]
    rows.append((r["categories"]["performance"]["score"] * 100,
                 a["largest-contentful-paint"]["numericValue"] / 1000,
                 a["total-blocking-time"]["numericValue"],
                 a["cumulative-layout-shift"]["numericValue"],
                 a["total-byte-weight"]["numericValue"] / 1024))
if not rows:
    print(f"{name:<34} no run completed"); sys.exit()
med = [statistics.median(c) for c in zip(*rows)]
print(f"{name:<34}{med[0]:>6.0f}{med[1]:>8.2f} s{med[2]:>8.0f} ms{med[3]:>8.3f}{med[4]:>9.0f} KiB   ({len(rows)} runs, median)")
PY
}

step "Lighthouse, mobile preset, $RUNS runs per view (median)"
printf '%-34s%6s%10s%11s%8s%13s\n' view Perf LCP TBT CLS transferred
run "signed in, default tab" "/pay-as-you-go" "{\"Cookie\": \"$COOKIE\"}"
run "sign-in page" "/" ""
echo "targets: Performance >= 95 on both views; CLS <= 0.02; TBT <= 150 ms; LCP <= 2.5 s"
