#!/usr/bin/env bash
# Outpost's main job, end to end: build `outpost`, then run `outpost demo` — a hub on
# 127.0.0.1 and two nodes that edit offline, sync, merge, let a person decide one conflict,
# and converge. Everything lives in a temporary folder that the demo removes.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
echo "== building outpost (release)"
swift build -c release --product outpost
outpost="$(swift build -c release --show-bin-path)/outpost"
echo "== outpost demo"
"$outpost" demo
echo
echo "outpost is at $outpost; try \`$outpost --help\`."
