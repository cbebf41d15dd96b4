#!/usr/bin/env bash
# Generates a Python client from the served OpenAPI document with
# openapi-python-client (pinned, from PyPI, project-local in .tools/), fails
# on any warning the generator prints, then calls every read operation
# through it as the main account and as a sub-account: every answer must
# parse into the generated models. Usage: generated-client.sh BASE MAIN_COOKIE SUB_COOKIE
# (fuzz-api.sh calls it with its running server).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="$1" MAIN_COOKIE="$2" SUB_COOKIE="$3"
VERSION="0.29.1"
VENV="$ROOT/.tools/openapi-python-client-$VERSION"

printf '\n==> %s\n' "openapi-python-client $VERSION (PyPI, project-local in .tools/)"
if [ -x "$VENV/bin/openapi-python-client" ] && "$VENV/bin/openapi-python-client" --version | grep -q "$VERSION"; then
  echo "    present"
else
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "openapi-python-client==$VERSION"
fi

printf '\n==> %s\n' "Generating a client from $BASE/api/openapi.json (any generator warning fails)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
curl -fs "$BASE/api/openapi.json" >"$OUT/openapi.json"
printf 'post_hooks: []\n' >"$OUT/config.yaml"
(cd "$OUT" && "$VENV/bin/openapi-python-client" generate --path openapi.json --meta none \
  --config config.yaml >"$OUT/generate.txt" 2>&1) || { cat "$OUT/generate.txt" >&2; exit 1; }
if grep -v '^Generating ' "$OUT/generate.txt" | grep -q '[^[:space:]]'; then
  echo "the generator warned:" >&2
  cat "$OUT/generate.txt" >&2
  exit 1
fi
echo "    generated with no warning"

printf '\n==> %s\n' "Every read operation through the generated client, as the main account and as a sub-account"
"$VENV/bin/python" "$ROOT/scripts/generated_client_check.py" "$BASE" "$OUT" "$MAIN_COOKIE" "$SUB_COOKIE"
