#!/usr/bin/env bash
# Builds pgdrill-local/postgres:15 (PGDRILL_POSTGRES_IMAGE for --target docker
# where no registry is reachable). Idempotent: skips an image that exists.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
TAG="${1:-pgdrill-local/postgres:15}"
BASE="${PGDRILL_BASE_IMAGE:-pgdrill-local/bookworm-pg15:base}"
. "$here/../lib.sh"
exit_if_image_exists "$TAG" docker/postgres
start=$(date +%s)
"$here/../base/build.sh"
docker build -q --build-arg "BASE=$BASE" -t "$TAG" "$here" >/dev/null
echo "docker/postgres: built $TAG in $(( $(date +%s) - start )) s"
