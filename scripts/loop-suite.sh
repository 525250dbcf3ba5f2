#!/usr/bin/env bash
# Runs the parallel part of the test suite again and again, to catch a rare failure or hang,
# and keeps what is needed to understand a hang: a run that outlasts the stall limit has its
# test process's threads (gdb), open descriptors, sockets and the process tree written to the
# output folder before it is killed.
#
# Usage: scripts/loop-suite.sh [RUNS] [STALL_MINUTES]   (defaults: 10 runs, 12 minutes)
# Example: swift build --build-tests && scripts/loop-suite.sh 20
# Needs a debug build with tests (it runs `swift test --skip-build`), root (as the suite does),
# and gdb for the thread dump (apt-get install gdb). Results: /tmp/outpost-loop-*/summary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
runs="${1:-10}"
stall=$(( ${2:-12} * 60 ))
out=$(mktemp -d /tmp/outpost-loop-XXXXXX)
echo "Results in $out"
eval "$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop "$OUTPOST_TEST_POSTGRES_DIR"' EXIT
"$(swift build --show-bin-path)/outpost" hub tenant list --database "$OUTPOST_TEST_POSTGRES_URL" > /dev/null
for run in $(seq 1 "$runs"); do
    log="$out/run-$run.log"
    swift test --skip-build --skip 'FileStoreMemoryTests|WaitingPullTests|ConnectionLimitTests|DaemonTests' > "$log" 2>&1 &
    runner=$!
    start=$(date +%s)
    while kill -0 "$runner" 2> /dev/null; do
        sleep 10
        if (( $(date +%s) - start > stall )); then
            pid=$(pgrep -f "PackageTests.xctest" | head -1 || true)
            echo "run $run: stalled after ${stall}s (test process ${pid:-not found})" | tee -a "$out/summary"
            if [ -n "$pid" ]; then
                gdb -p "$pid" -batch -ex "thread apply all bt" > "$out/run-$run-threads.txt" 2>&1 || true
                ls -l "/proc/$pid/fd" > "$out/run-$run-fd.txt" 2>&1 || true
                kill -9 "$pid" || true
            fi
            ps -ef --forest > "$out/run-$run-ps.txt"
            ss -axp > "$out/run-$run-sockets.txt" 2>&1 || true
            grep -E "started|passed|failed" "$log" | tail -60 > "$out/run-$run-last-tests.txt" || true
            break
        fi
    done
    status=0
    wait "$runner" || status=$?
    echo "run $run: exit $status after $(( $(date +%s) - start ))s, $(grep -c '✘' "$log" || true) failure lines" \
        | tee -a "$out/summary"
done
