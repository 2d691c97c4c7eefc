#!/usr/bin/env bash
# Builds pgdrill-local/bookworm-pg15:base, the root file system both local images
# start from: Debian bookworm (minbase) with PostgreSQL 15 from Debian's packages,
# made by debootstrap from the mirror apt already uses (no image registry needed).
# Idempotent: does nothing when the image exists. Needs root, debootstrap, docker.
set -euo pipefail
TAG="${PGDRILL_BASE_IMAGE:-pgdrill-local/bookworm-pg15:base}"
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"
exit_if_image_exists "$TAG" docker/base
start=$(date +%s)
# The mirror apt is configured with (deb822 sources first, then one-line lists).
mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '{print $2}' | grep -v -- '-security' | grep -i debian | head -n1 || true)
fi
mirror="${mirror:-http://deb.debian.org/debian}"
root=$(mktemp -d /tmp/pgdrill-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "docker/base: debootstrap bookworm from $mirror into $root"
debootstrap --variant=minbase --include=postgresql-15 bookworm "$root" "$mirror" >"$root.log" 2>&1 \
  || { tail -n 30 "$root.log"; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# The package's own cluster is not wanted: the entrypoint makes one per container.
rm -rf "$root/var/lib/postgresql/15/main" "$root/etc/postgresql/15/main"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale"
tar -C "$root" -c . | docker import --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$TAG" >/dev/null
echo "docker/base: built $TAG in $(( $(date +%s) - start )) s"
