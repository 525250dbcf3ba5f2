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
# One suite at a time: the live tests start processes and wait for them from test code, and
# on a 2-core machine two such waits in parallel can starve the concurrency pool that an
# in-process hub test needs to finish its migration (seen as a hang in CI).
swift test --no-parallel
