#!/usr/bin/env bash
# Installs what the console needs to build and serve, and only what is
# missing: fast when everything is present. Sourced by serve.sh, test.sh and
# the benchmarks. The browsers the tests need are scripts/browsers.sh's.
# Versions and why: ../shared/reference/toolchain.md (Trunk 0.21.14 for rustc
# 1.95; wasm-bindgen CLI = the crate's =0.2.130; npm binaryen 132, never
# Debian's wasm-opt 108).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130"
TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132"
TOOLS="$ROOT/.tools"
export PATH="$HOME/.cargo/bin:$TOOLS/binaryen/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true

step() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
timed() {
  local start=$SECONDS
  "$@"
  echo "    done in $((SECONDS - start)) s"
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else return 1; fi; }

if ! have cargo; then
  echo "Rust is required: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

step "Rust target wasm32-unknown-unknown"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "    present"
else
  timed rustup target add wasm32-unknown-unknown
fi

step "wasm-bindgen CLI and test runner $WASM_BINDGEN_VERSION"
if have wasm-bindgen && wasm-bindgen --version | grep -q " $WASM_BINDGEN_VERSION\$" && have wasm-bindgen-test-runner; then
  echo "    present"
else
  # Without --locked: its lock file names a webpki-roots version crates.io lacks.
  timed cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

step "Trunk $TRUNK_VERSION"
if have trunk && trunk --version | grep -q " $TRUNK_VERSION\$"; then
  echo "    present"
else
  echo "    building from crates.io (about 12 minutes on 2 cores, once)"
  timed cargo install trunk --version "$TRUNK_VERSION" --locked --force
fi

step "wasm-opt $BINARYEN_VERSION (npm binaryen, project-local in .tools/)"
if [ -x "$TOOLS/binaryen/node_modules/.bin/wasm-opt" ] && wasm-opt --version | grep -q "version $BINARYEN_VERSION"; then
  echo "    present"
else
  if ! have npm; then
    echo "npm (Node.js) is required for wasm-opt: install nodejs and npm, then run this again." >&2
    exit 1
  fi
  mkdir -p "$TOOLS/binaryen"
  timed npm install --silent --no-audit --no-fund --prefix "$TOOLS/binaryen" "binaryen@$BINARYEN_VERSION"
fi
