#!/usr/bin/env bash
# Prints the release build's size: wasm, JS glue and CSS, raw / gzip -9 /
# brotli -q 11, and the total against the 150 KB brotli first-load budget;
# then the bytes a browser receives for the signed-in default view as
# billing-server sends them (headers and bodies, brotli accepted): the page,
# its JS, wasm and CSS, and the API answers the first screen asks for.
# A benchmark, not a test: it prints figures and never fails on them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh >/dev/null
python3 -c "import brotli" 2>/dev/null || pip install --quiet brotli
measure() {
python3 - "$1" <<'PY'
import brotli, glob, gzip, os, sys
d = sys.argv[1]
rows, tot = [], [0, 0, 0]
for pat in ("*.wasm", "*.js", "*.css", "index.html"):
    for f in sorted(glob.glob(os.path.join(d, pat))):
        b = open(f, "rb").read()
        r = (len(b), len(gzip.compress(b, 9)), len(brotli.compress(b, quality=11)))
        rows.append((os.path.basename(f).split("-")[0].replace(".html", "") + os.path.splitext(f)[1], *r))
        tot = [a + c for a, c in zip(tot, r)]
print(f"{'file':<24}{'raw':>12}{'gzip':>12}{'brotli':>12}")
for name, a, b, c in rows:
    print(f"{name:<24}{a/1000:>10.1f}KB{b/1000:>10.1f}KB{c/1000:>10.1f}KB")
print(f"{'total first load':<24}{tot[0]/1000:>10.1f}KB{tot[1]/1000:>10.1f}KB{tot[2]/1000:>10.1f}KB")
print(f"budget 150 KB brotli: {'within' if tot[2] <= 150_000 else 'OVER'} ({tot[2]/1000:.1f} KB)")
PY
}
OUT="$(mktemp -d)"
step "Served by billing-server (no mock store: trunk build --release --no-default-features)"
trunk build --release --no-default-features --dist "$OUT/server" >/dev/null 2>&1
measure "$OUT/server"
step "Static demo (with the in-browser mock store: trunk build --release)"
trunk build --release --dist "$OUT/static" >/dev/null 2>&1
measure "$OUT/static"

step "Transferred for the signed-in default view, as billing-server sends it (Accept-Encoding: br, gzip)"
trunk build --release --no-default-features >/dev/null 2>&1
cargo build --profile server --locked -p billing-server >/dev/null 2>&1
# shellcheck source=scripts/demo-server.sh
source scripts/demo-server.sh
start_demo_server "${PORT:-18190}" "$OUT"
BASE="$DEMO_BASE"
COOKIE="$(session_cookie u-acme-main)"
# What a response costs on the wire: status line and headers plus the body
# as sent (curl does not decode it here).
fetch() { # $1 label, then curl arguments
  local label="$1"; shift
  curl -s -o /dev/null -H 'Accept-Encoding: br, gzip' -H "Cookie: $COOKIE" \
    -w "$label %{http_code} %{size_header} %{size_download}\n" "$@"
}
api() { fetch "api:$1" -X POST "$BASE/api/$1" -H 'Content-Type: application/json' -H "Origin: $BASE" -d "$2"; }
{
  fetch "index.html" "$BASE/pay-as-you-go"
  for f in $(grep -oE '(href|src)="/[^"]+\.(js|wasm|css)"' dist/index.html | sed -E 's/.*="(.*)"/\1/' | sort -u); do
    fetch "${f#/}" "$BASE$f"
  done
  # The wasm the JS glue loads (named in it, not in the page).
  w="$(ls dist/*.wasm | head -1)"; fetch "$(basename "$w")" "$BASE/$(basename "$w")"
  api DescribeServerInfo '{}'
  api DescribeAccountSummary '{}'
  api DescribeNotices '{"PageNumber":1,"PageSize":50,"UnreadOnly":false}'
  api DescribeResources '{"Tab":"PayAsYouGo","Status":"Available","Search":"","Sort":"ExpiresAsc","PageNumber":1,"PageSize":10}'
  api DescribeUsageHistory '{"Kind":"TokenPackage","Granularity":"Day","ByPool":false}'
} | sort -u -k1,1 > "$OUT/transfers.txt"
python3 - "$OUT/transfers.txt" <<'PY'
import sys
tot = 0
print(f"{'what':<44}{'status':>7}{'headers':>9}{'body':>10}")
for line in open(sys.argv[1]):
    name, code, head, body = line.split()
    tot += int(head) + int(body)
    print(f"{name:<44}{code:>7}{int(head):>9}{int(body)/1000:>8.1f}KB")
print(f"{'total transferred, first load':<44}{'':>16}{tot/1000:>8.1f}KB")
print(f"target 200 KB (long-term 150 KB): {'within' if tot <= 200_000 else 'OVER'}")
PY
