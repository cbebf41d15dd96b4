#!/usr/bin/env bash
# Prints the release build's size: wasm, JS glue and CSS, raw / gzip -9 /
# brotli -q 11, and the total against the 150 KB brotli first-load budget.
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
