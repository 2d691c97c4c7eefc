#!/bin/sh
# pgdrill's WAL archive command: archive-wal SOURCE ARCHIVE_DIR NAME
#
# Called by PostgreSQL as archive_command with %p (the file, relative to the
# data directory), the archive directory and %f (its name). Exit 0 tells the
# server the file is safely archived; anything else makes it try again.
#
# - A new name: copied to a temporary file in the archive, flushed to disk,
#   then linked into place under its name (link fails if the name appeared
#   meanwhile: the archive never overwrites).
# - A name the archive already holds with identical contents: success (the
#   server may archive a file twice, e.g. after a crash or a failover; the
#   PostgreSQL documentation asks archive commands to accept this).
# - A name the archive already holds with different contents: refused,
#   loudly, in the server log. Two histories wrote the same name; the file
#   already archived is kept, and the operator must decide.
set -u

if [ "$#" -ne 3 ]; then
  echo "archive-wal: usage: archive-wal SOURCE ARCHIVE_DIR NAME" >&2
  exit 2
fi
src=$1
dir=$2
name=$3
dest="$dir/$name"

if [ ! -f "$src" ]; then
  echo "archive-wal: $src does not exist or is not a file" >&2
  exit 1
fi

same_as_archived() {
  if cmp -s -- "$src" "$dest"; then
    return 0
  fi
  echo "archive-wal: REFUSED: $dest already exists with different contents; the archive keeps it. Another history wrote a file of the same name. Archiving stops here until it is resolved: compare the two files, move the one that does not belong aside, and the server archives again on its own." >&2
  return 1
}

if [ -e "$dest" ]; then
  same_as_archived
  exit $?
fi

tmp="$dir/.$name.tmp.$$"
trap 'rm -f -- "$tmp"' EXIT
cp -- "$src" "$tmp" || exit 1
# Durable before it is announced: a segment the server believes archived may be removed from pg_wal at once.
sync -- "$tmp" 2>/dev/null || :
if ln -- "$tmp" "$dest" 2>/dev/null; then
  exit 0
fi
# The name appeared meanwhile (two servers archiving one history): judge it like any existing file.
if [ -e "$dest" ]; then
  same_as_archived
  exit $?
fi
echo "archive-wal: could not link $tmp to $dest" >&2
exit 1
