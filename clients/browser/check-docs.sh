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

if [[ ! -x /usr/bin/chromium ]]; then
  echo "docs check: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when they do not know chromium, or are too stale to fetch it.
  if ! apt-cache show chromium >/dev/null 2>&1 || [[ -z $(apt-cache policy chromium | awk '/Candidate:/ && $2 != "(none)"') ]]; then
    apt-get update
  fi
  if ! apt-get install -y chromium; then
    apt-get update
    apt-get install -y chromium
  fi
fi
# (Debian's launcher script prints a harmless "[: ...: unexpected operator" on some /dev/shm
# mounts; keep it out of the log unless chromium does not start at all.)
if ! version=$(/usr/bin/chromium --version 2>/dev/null); then
  echo "docs check: /usr/bin/chromium does not start:" >&2
  /usr/bin/chromium --version >&2 || true
  exit 1
fi
echo "docs check: using $version"

# playwright-core never downloads a browser; the variable is belt and braces.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
node check-docs.mjs "$base_url"
