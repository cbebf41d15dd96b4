#!/usr/bin/env bash
# Installs what the console needs to build, serve and test, and only what is
# missing: fast when everything is present. Sourced by serve.sh and test.sh.
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

step "axe-core (npm, project-local in .tools/) for the accessibility audit"
if [ -f "$TOOLS/axe/node_modules/axe-core/axe.min.js" ]; then
  echo "    present"
else
  mkdir -p "$TOOLS/axe"
  timed npm install --silent --no-audit --no-fund --prefix "$TOOLS/axe" "axe-core@4"
fi
export AXE_CORE_JS="$TOOLS/axe/node_modules/axe-core/axe.min.js"

step "Browsers and drivers: Chromium + chromedriver, Firefox ESR + geckodriver"
missing=()
have chromium || missing+=(chromium)
have chromedriver || missing+=(chromium-driver)
have firefox-esr || missing+=(firefox-esr)
if [ ${#missing[@]} -eq 0 ]; then
  echo "    browsers present"
elif have apt-get && as_root true 2>/dev/null; then
  echo "    installing ${missing[*]} with apt-get"
  timed bash -c "$(declare -f as_root have); as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq ${missing[*]} >/dev/null"
else
  echo "Install these browser packages, then run this again: ${missing[*]}" >&2
  exit 1
fi
if have geckodriver; then
  echo "    geckodriver present"
else
  timed cargo install geckodriver --locked
fi
