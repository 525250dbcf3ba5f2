#!/usr/bin/env bash
# Installs what Outpost needs beyond Swift on a fresh Debian machine: SQLite's library and
# headers (GRDB links the system's SQLite), zlib's headers (compressed bodies), the sqlite3
# program (the tests use it as a plain client), git (the workspace runs it), PostgreSQL (the
# hub's production database; the tests start a throwaway cluster), curl, rsync (`outpost
# bench files` compares with it), openssl (the TLS tests make their own certificate authority),
# tar (node backups), systemd (its systemd-analyze checks the service units) and chromium with
# chromium-driver (the hub's dashboard is tested in a headless browser). Safe to run again:
# it installs only what is missing.
set -euo pipefail

packages=(libsqlite3-dev sqlite3 zlib1g-dev git postgresql curl rsync openssl tar systemd chromium chromium-driver)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "Swift is not on PATH; install Swift 6.2 or later first." >&2; exit 1; }
