#!/usr/bin/env bash
# Generates TypeScript types from the committed OpenAPI document and type-checks
# src/example.ts against them. Fails if the example no longer matches the API.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

spec=../../openapi/openapi.json
[[ -f $spec ]] || { echo "typescript client: $spec not found" >&2; exit 1; }

npm ci --no-audit --no-fund
# --no: never fetch a tool from the registry; use the pinned ones from node_modules.
npx --no -- openapi-typescript "$spec" -o src/api.d.ts
npx --no -- tsc -p .

echo "typescript client: types generated and example type-checked"
