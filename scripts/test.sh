#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, check formatting, build, test.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh

echo "== format check"
swift format lint --strict --recursive Sources Tests Package.swift

echo "== build"
swift build --build-tests

echo "== tests"
# Some tests mount small tmpfs file systems to make a disk full or read-only: that needs root.
if [ "$(id -u)" -ne 0 ]; then
    echo "Run the tests as root (they mount tmpfs file systems to fill a disk and make it read-only)." >&2
    exit 1
fi
echo "== PostgreSQL (throwaway cluster)"
eval "$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop "$OUTPOST_TEST_POSTGRES_DIR"' EXIT
echo "PostgreSQL at $OUTPOST_TEST_POSTGRES_URL"
# The whole database schema first, so no test's hub ever waits for another's migration.
"$(swift build --show-bin-path)/outpost" hub tenant list --database "$OUTPOST_TEST_POSTGRES_URL" > /dev/null
# Suites run in parallel. A few run alone afterwards, one at a time: those that measure this
# process's own memory (what other tests allocate meanwhile would count against them) and those
# that measure time windows (idle long polls, per-second rate limits, a daemon noticing its hub
# back within seconds) on a loaded machine, and one that reads a PostgreSQL session's prepared
# statements through a client of one connection (while every other suite holds connections,
# that one may wait a minute for the server to take it).
ALONE='FileStoreMemoryTests|WaitingPullTests|ConnectionLimitTests|DaemonTests|PostgresPreparedStatementTests'
swift test --skip-build --skip "$ALONE"
swift test --skip-build --no-parallel --filter "$ALONE"

echo "== packaging"
# The systemd units and container recipes, checked against the binary just built (a few seconds).
scripts/check-packaging.sh --binary "$(swift build --show-bin-path)/outpost"
