#!/bin/sh
# Stages Portico's production tree in <dir> from a checkout where `npm ci` has run: the package as
# published (`npm pack`, which builds it: bin/portico.mjs and the compiled dist/), with its
# production dependencies only, installed in that clean directory from the repository's lockfile.
# better-sqlite3's addon comes from this checkout's build (prebuild-install's local prebuilds)
# rather than being compiled a second time. The Dockerfile runs it; so does CI
# (scripts/container-check.sh), so both ship the same tree.
set -eu
dest="$1"
[ -d node_modules ] || { echo "stage-production: no node_modules here; run npm ci first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
mkdir -p "$dest"
tar -xzf "$work/$tarball" -C "$dest" --strip-components=1
cp package-lock.json "$dest/"

prebuilds="$work/prebuilds"
mkdir -p "$prebuilds"
addon="$(node -p "const v = require('./node_modules/better-sqlite3/package.json').version; \`better-sqlite3-v\${v}-node-v\${process.versions.modules}-\${process.platform}-\${process.arch}.tar.gz\`")"
tar -czf "$prebuilds/$addon" -C node_modules/better-sqlite3 build/Release/better_sqlite3.node

cd "$dest"
npm_config_better_sqlite3_local_prebuilds="$prebuilds" npm ci --omit=dev --no-audit --no-fund --prefer-offline
mkdir -p data
