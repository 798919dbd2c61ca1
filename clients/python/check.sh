#!/usr/bin/env bash
# Generates a Python client from the committed OpenAPI document with
# openapi-python-client's default settings, and runs example.py with it
# against a server with the demo data.
# Usage: clients/python/check.sh BASE_URL ADMIN_TOKEN
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 BASE_URL ADMIN_TOKEN" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/target/python-client-venv"
out="$root/target/python-client"
if [[ ! -x $venv/bin/openapi-python-client ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "openapi-python-client==0.29.0"
fi
rm -rf "$out" && mkdir -p "$out"
# Any warning other than the three imports (text/csv bodies, which the
# generator does not take; see README) fails the check.
(cd "$out" && "$venv/bin/openapi-python-client" generate --path "$root/openapi/openapi.json" 2>&1) | tee "$out/generate.log"
unexpected=$(grep -E '^WARNING' "$out/generate.log" | grep -v -E 'POST /api/v1/import/(cities|twinnings|events)' || true)
if [[ -n $unexpected ]]; then
  echo "python client: the generator warned: $unexpected" >&2
  exit 1
fi
"$venv/bin/pip" install -q "$out/twinning-registry-client"
"$venv/bin/python" "$here/example.py" "$1" "$2"
