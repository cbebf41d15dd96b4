#!/usr/bin/env bash
# Serves the console with seeded demo data on http://127.0.0.1:${PORT:-8080}.
# Installs what is missing first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
PORT="${PORT:-8080}"

step "Serving the console (demo data, in this browser) on http://127.0.0.1:$PORT"
exec trunk serve --release --port "$PORT" --address 127.0.0.1
