#!/usr/bin/env bash
# Checks that the served Swagger UI renders, offline, in Debian's headless Chromium.
# Usage: clients/browser/check-docs.sh BASE_URL     (e.g. http://127.0.0.1:18091)
# Needs a running server at BASE_URL; installs chromium (apt) and playwright-core (npm ci).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BASE_URL   (e.g. http://127.0.0.1:18091)" >&2
  exit 2
fi
base_url=$1
cd "$(dirname "${BASH_SOURCE[0]}")"

source ./chromium.sh
node check-docs.mjs "$base_url"
