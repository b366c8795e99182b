#!/bin/sh
# Bootstrap of a large branch (issue 21): a branchd with N demo-catalogue
# titles serves a snapshot; a second branchd starts with --bootstrap-from
# it and is timed until it answers /healthz. Beside it, in the same run,
# the limit: a bare copy (cp + sync) of the same snapshot file and of the
# peer's database. Usage, from the repository root:
#
#   scripts/bench-bootstrap.sh 1000000 /tmp/boot     # titles, scratch dir (deleted at the end)
#
# Ports 18421 and 18422 on 127.0.0.1. Needs curl and sqlite3.
set -eu
N=${1:-200000}
W=${2:-/tmp/stacks-bootstrap}
export GOFLAGS=-tags=sqlite_fts5
rm -rf "$W"; mkdir -p "$W/bin"
go build -o "$W/bin/" ./cmd/stacks ./cmd/branchd
t() { date +%s.%N; }
el() { echo "$2 - $1" | bc -l; }
echo "== $N titles, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(t); "$W/bin/stacks" demo-catalogue --titles "$N" --out "$W/cat.mrc"; echo "catalogue written: $(el $t0 $(t)) s"
"$W/bin/branchd" --data "$W/peer" --http 127.0.0.1:18421 --sip2 "" 2>"$W/peer.log" & PEER=$!
trap 'kill $PEER 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:18421/healthz >/dev/null; do sleep 0.2; done
t0=$(t); "$W/bin/stacks" import marc --api http://127.0.0.1:18421 -u admin:admin "$W/cat.mrc" >"$W/import.log" 2>&1; echo "import: $(el $t0 $(t)) s"
# The peer's search index catches up before the snapshot, as a real
# peer's has long done (else the new replica indexes every title itself
# when it opens).
t0=$(t)
until [ "$(sqlite3 -readonly "$W/peer/stacks.db" 'SELECT count(*) FROM search_dirty' 2>/dev/null)" = 0 ]; do sleep 1; done
echo "index catch-up: $(el $t0 $(t)) s"
sqlite3 "$W/peer/stacks.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
echo "peer database: $(stat -c %s "$W/peer/stacks.db") bytes; load $(cut -d' ' -f1-3 /proc/loadavg)"
# The new replica, from the peer's snapshot, until it serves.
t0=$(t)
"$W/bin/branchd" --data "$W/new" --http 127.0.0.1:18422 --sip2 "" --branch MAIN --demo=false \
  --cluster-key-file "$W/peer/cluster.key" --bootstrap-from http://127.0.0.1:18421 2>"$W/new.log" & NEW=$!
trap 'kill $PEER $NEW 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:18422/healthz >/dev/null; do
  kill -0 $NEW 2>/dev/null || { echo "the new replica stopped:"; tail -20 "$W/new.log"; exit 1; }
  sleep 0.1
done
t1=$(t); echo "bootstrap to a serving node: $(el $t0 $t1) s"
grep -h -E 'snapshot|bootstrapped|search index open' "$W/peer.log" "$W/new.log" | cut -c1-400
SNAP=$(ls -S "$W"/peer/snapshots/*.db 2>/dev/null | head -1 || true)
[ -n "$SNAP" ] || SNAP=$(ls -S "$W"/peer/snapshots/* | head -1)
echo "snapshot file: $SNAP $(stat -c %s "$SNAP") bytes"
# The limit: a bare copy of the same bytes (the source read once first, so
# it is in the page cache as the peer's file was), with fsync.
cat "$SNAP" >/dev/null
t0=$(t); cp "$SNAP" "$W/copy.db"; sync "$W/copy.db"; echo "bare copy of the snapshot: $(el $t0 $(t)) s"; rm -f "$W/copy.db"
cat "$W/peer/stacks.db" >/dev/null
t0=$(t); cp "$W/peer/stacks.db" "$W/copy.db"; sync "$W/copy.db"; echo "bare copy of the peer's database: $(el $t0 $(t)) s"; rm -f "$W/copy.db"
echo "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
kill $NEW $PEER; wait $NEW $PEER 2>/dev/null || true
rm -rf "$W"
