#!/usr/bin/env bash
# Every test: format, clippy (warnings are errors), native tests (rules core,
# client helpers, server HTTP tests on SQLite and on PostgreSQL), schemathesis
# against the served API, and the browser tests in headless Chromium and
# Firefox. Installs what is missing
# first (PostgreSQL included).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
# shellcheck source=scripts/browsers.sh
source scripts/browsers.sh
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

BROWSER_TESTS=(--test resource_list --test postpaid --test notifications --test i18n --test forecasts --test billing)

step "Format check (cargo fmt --check)"
cargo fmt --all -- --check

step "Clippy, native, warnings as errors"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Clippy, wasm32 client and browser tests, warnings as errors"
cargo clippy -p billing-console --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

step "Building the client (release) for the end-to-end test"
trunk build --release --no-default-features

step "Native tests: rules core (unit + property), client helpers, server on SQLite (HTTP, differential, replicas), end-to-end in Chromium"
CHROMEDRIVER="$(command -v chromedriver)" cargo test --workspace --locked

step "Server tests again on PostgreSQL: HTTP suite, security, differential (memory = SQLite = PostgreSQL), three replicas, SIGKILL"
BILLING_TEST_BACKEND=postgres cargo test -p billing-server --locked --test http --test security --test differential --test replicas --test postpaid_billing

# Fuzz the served API from its OpenAPI document (schemathesis, every check,
# as the main account and as a sub-account): 0 failures, no 5xx.
scripts/fuzz-api.sh

step "Browser tests in headless Chromium"
env -u GECKODRIVER CHROMEDRIVER="$(command -v chromedriver)" \
  cargo test -p billing-console --target wasm32-unknown-unknown --locked "${BROWSER_TESTS[@]}"

step "Browser tests in headless Firefox"
GECKODRIVER="$(command -v geckodriver)" \
  cargo test -p billing-console --target wasm32-unknown-unknown --locked "${BROWSER_TESTS[@]}"

step "All tests passed"
