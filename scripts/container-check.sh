#!/usr/bin/env bash
# The Dockerfile's own steps, for CI where no image can be built: stage the published package with
# its production dependencies only in a clean directory (stage-production.sh, which builds it),
# start its compiled server with plain node from there as the image does, wait for /readyz 200,
# then SIGTERM it and expect a clean exit within 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."

app="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -KILL "$server" 2>/dev/null || true; fi
  rm -rf "$app"
}
trap cleanup EXIT

echo "container-check: build and stage the production tree in $app"
sh scripts/stage-production.sh "$app" >/dev/null
# Nothing of the build may be needed: no devDependency, no source.
for dev in vitest typescript tsx; do
  if [ -e "$app/node_modules/$dev" ]; then echo "container-check: devDependency $dev in the production tree" >&2; exit 1; fi
done
if [ -e "$app/src" ] || [ -e "$app/examples" ]; then echo "container-check: sources in the production tree" >&2; exit 1; fi

port="$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close() })")"
echo "container-check: start the compiled server on port $port"
(
  cd "$app"
  exec env -i PATH="$PATH" HOME="$app" NODE_ENV=production HOST=127.0.0.1 PORT="$port" DATABASE_URL="file:$app/data/portico.db" LOG_LEVEL=warn \
    node --enable-source-maps bin/portico.mjs start
) &
server=$!

ready=""
for _ in $(seq 1 120); do
  if node -e "fetch('http://127.0.0.1:$port/readyz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"; then
    ready=1
    break
  fi
  kill -0 "$server" 2>/dev/null || { echo "container-check: the server exited before it was ready" >&2; exit 1; }
  sleep 0.5
done
[ -n "$ready" ] || { echo "container-check: /readyz never answered 200" >&2; exit 1; }
node -e "fetch('http://127.0.0.1:$port/healthz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))" \
  || { echo "container-check: /healthz did not answer 200" >&2; exit 1; }
echo "container-check: /readyz and /healthz answer 200; stopping it with SIGTERM"

kill -TERM "$server"
started=$SECONDS
status=0
wait "$server" || status=$?
server=""
took=$((SECONDS - started))
if [ "$status" -ne 0 ] || [ "$took" -gt 10 ]; then
  echo "container-check: exit status $status after ${took} s (expected 0 within 10 s)" >&2
  exit 1
fi
echo "container-check: stopped cleanly in ${took} s"
