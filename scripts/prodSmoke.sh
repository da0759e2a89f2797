#!/usr/bin/env bash
# The production build as an operator installs it: the package `npm pack` makes, installed with its production
# dependencies only (no tsx, no TypeScript), starts `nextbest serve` with two workers and answers decisions.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
npm run build
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
npm pack --silent --pack-destination "$work" >/dev/null
tar -xzf "$work"/nextbest-*.tgz -C "$work"
cp package-lock.json "$work/package/"
cd "$work/package"
npm ci --omit=dev --no-audit --no-fund
for dev in tsx typescript vitest; do
  if [ -e "node_modules/$dev" ]; then echo "prodSmoke: the production install holds $dev" >&2; exit 1; fi
done
node "$repo/scripts/prodSmoke.mjs" "$work/package"
