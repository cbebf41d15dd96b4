#!/usr/bin/env bash
# Installs what the browser tests need, and only what is missing: axe-core
# for the accessibility audit, Chromium + chromedriver and Firefox ESR +
# geckodriver. Sourced by test.sh (and bench-lighthouse.sh) after setup.sh;
# serving the console needs none of it.
set -euo pipefail

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
