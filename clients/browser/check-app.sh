#!/usr/bin/env bash
# Drives the web app served at BASE_URL in Debian's headless Chromium, offline:
# a visitor, a city's staff and an admin, with an accessibility check (axe-core),
# and writes screenshots of the city page and the map at desktop and phone width.
# Usage: clients/browser/check-app.sh BASE_URL ADMIN_TOKEN NOVGOROD_TOKEN SCREENSHOT_DIR
# Needs a running server at BASE_URL with the demo data (`twinning seed --demo`).
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 BASE_URL ADMIN_TOKEN NOVGOROD_TOKEN SCREENSHOT_DIR" >&2
  exit 2
fi
screenshots=$(mkdir -p "$4" && cd "$4" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")"
source ./chromium.sh
node check-app.mjs "$1" "$2" "$3" "$screenshots"
