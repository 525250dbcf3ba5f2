#!/usr/bin/env bash
# Outpost's main job, end to end on one node: build `outpost`, create a node, add an agent and
# a workflow, sync one of your own tables, and show what is queued for the hub.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
echo "== building outpost (release)"
swift build -c release --product outpost
outpost="$(swift build -c release --show-bin-path)/outpost"

home="${OUTPOST_HOME:-$(mktemp -d)/node}"
export OUTPOST_HOME="$home"
echo "== node home: $home"
"$outpost" init
agent=line-camera
"$outpost" agent add --id "$agent" --name "Line camera" --type vision --status active \
    --config '{"fps": 5, "zones": ["a", "b"]}'
"$outpost" workflow add --name "Count parts" --agent "$agent" --definition '{"steps": [{"run": "count"}, {"run": "report"}]}'
"$outpost" agent update "$agent" --status critical --expected-version 1
"$outpost" sql "CREATE TABLE readings (id TEXT PRIMARY KEY, sensor TEXT, value REAL)"
"$outpost" track readings --priority 3
# Any SQLite client's writes are captured too:
sqlite3 "$home/store.sqlite" "INSERT INTO readings VALUES ('r1', 'temp-1', 21.5), ('r2', 'temp-2', 19.0)"
echo "== agents"
"$outpost" agent list
echo "== waiting for the hub (pending_sync view)"
"$outpost" sql "SELECT table_name, record_id, operation, priority FROM pending_sync"
echo "== status"
"$outpost" status
