#!/usr/bin/env bash
# Builds pgdrill-local/toxiproxy:2.12 (PGDRILL_TOXIPROXY_IMAGE for --target
# docker where ghcr.io cannot be reached): the built-in server compiled from
# src/toxiproxy with the project's TypeScript, and this machine's node binary.
# Idempotent: skips an image that exists.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
TAG="${1:-pgdrill-local/toxiproxy:2.12}"
BASE="${PGDRILL_BASE_IMAGE:-pgdrill-local/bookworm-pg15:base}"
. "$here/../lib.sh"
exit_if_image_exists "$TAG" docker/toxiproxy
start=$(date +%s)
"$here/../base/build.sh"
ctx=$(mktemp -d /tmp/pgdrill-toxiproxy-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp "$here/Dockerfile" "$ctx/"
cp "$(command -v node)" "$ctx/node"
mkdir -p "$ctx/app"
cp "$here/serve.mjs" "$ctx/app/"
echo '{"type":"module"}' > "$ctx/app/package.json"
node "$root/node_modules/typescript/bin/tsc" --outDir "$ctx/app/toxiproxy" --rootDir "$root/src/toxiproxy" \
  --target ES2022 --module NodeNext --moduleResolution NodeNext --strict --skipLibCheck --types node \
  --allowImportingTsExtensions --rewriteRelativeImportExtensions --verbatimModuleSyntax \
  "$root/src/toxiproxy/server.ts"
docker build -q --build-arg "BASE=$BASE" -t "$TAG" "$ctx" >/dev/null
echo "docker/toxiproxy: built $TAG in $(( $(date +%s) - start )) s"
