#!/usr/bin/env bash
# Checks the packaging (packaging/, scripts/release.sh) as far as a machine without a container
# engine or a running systemd can: the systemd units with `systemd-analyze verify` and
# `systemd-analyze security --offline`, the sysusers file with `systemd-sysusers --root`, that
# every flag the units and container recipes pass is one the binary accepts, release.sh's
# syntax, and the container recipes' essentials by reading them. Takes a few seconds; CI runs it
# after the tests. Exits non-zero on any problem, after listing them all.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'EOF'
Usage: scripts/check-packaging.sh [--binary PATH]

Checks packaging/systemd/*.service, packaging/systemd/outpost.sysusers.conf,
packaging/container/*.Containerfile and scripts/release.sh. The units are verified against
an outpost binary (systemd-analyze checks that ExecStart's program exists and is
executable, and this script that it accepts every flag the units and recipes pass).

Options:
  --binary PATH   The outpost binary to check against. Default: $OUTPOST_BINARY, else
                  .build/debug/outpost (the one `swift build` made). Nothing is built.
  -h, --help      Show this help.

Examples:
  scripts/check-packaging.sh
  scripts/check-packaging.sh --binary "$(swift build --show-bin-path)/outpost"
  OUTPOST_BINARY=dist/outpost scripts/check-packaging.sh
EOF
}

binary=${OUTPOST_BINARY:-.build/debug/outpost}
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) [ $# -ge 2 ] || { echo "check-packaging.sh: --binary needs a path." >&2; exit 64; }; binary=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "check-packaging.sh: unknown argument '$1'; see --help." >&2; exit 64 ;;
    esac
done
[ -f "$binary" ] && [ -x "$binary" ] || {
    echo "check-packaging.sh: no executable outpost at '$binary'; build it first (swift build) or give --binary PATH." >&2
    exit 66
}
binary=$(realpath "$binary")
command -v systemd-analyze >/dev/null || { echo "check-packaging.sh: systemd-analyze is missing (apt-get install systemd)." >&2; exit 69; }

problems=()
problem() { problems+=("$1"); echo "  FAIL: $1"; }
pass() { echo "  ok: $1"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Fails unless `outpost WORDS… --help` lists every flag given. $1 says where the flags come from.
flags_accepted() {
    local where=$1 words=() flags=() token help
    shift
    for token in "$@"; do
        case "$token" in --*) flags+=("${token%%=*}") ;; *) [ ${#flags[@]} -eq 0 ] && words+=("$token") ;; esac
    done
    help=$("$binary" "${words[@]}" --help 2>&1) || true
    for token in "${flags[@]}"; do
        if ! grep -q -- "$token " <<<"$help"; then
            problem "$where passes $token, which \`outpost ${words[*]}\` does not accept ($binary)"
            return
        fi
    done
    pass "$where: \`outpost ${words[*]}\` accepts ${flags[*]}"
}

echo "== systemd units (systemd $(systemd-analyze --version | head -n 1 | awk '{print $2}')), against $binary"
units=(packaging/systemd/outpost-hub.service packaging/systemd/outpost-node.service)
for unit in "${units[@]}"; do
    name=$(basename "$unit")
    # The units run /usr/local/bin/outpost; verify checks that the program exists, so the copy
    # names the binary under test.
    sed "s#/usr/local/bin/outpost#$binary#g" "$unit" >"$work/$name"
    output=$(cd "$work" && systemd-analyze verify "$name" 2>&1) || true
    if [ -n "$output" ]; then
        problem "systemd-analyze verify $name printed:"$'\n'"$output"
    else
        pass "systemd-analyze verify $name: no warnings"
    fi
    exposure=$(cd "$work" && systemd-analyze security --offline=yes "$name" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p') || true
    if (cd "$work" && systemd-analyze security --offline=yes --threshold=20 "$name" >/dev/null 2>&1); then
        pass "systemd-analyze security $name: exposure ${exposure:-?} (at most 2.0 allowed)"
    else
        problem "systemd-analyze security $name: exposure ${exposure:-?}, above 2.0: a sandboxing option was lost"
    fi
    exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
    state=$(sed -n 's/^StateDirectory=//p' "$unit")
    read -r -a argv <<<"$exec_start"
    [ "${argv[0]}" = /usr/local/bin/outpost ] && pass "$name runs /usr/local/bin/outpost" \
        || problem "$name: ExecStart runs ${argv[0]}, not /usr/local/bin/outpost (where docs/deploy.md installs it)"
    grep -q -- "--home /var/lib/$state\( \|$\)" <<<"$exec_start" && pass "$name: --home is its StateDirectory (/var/lib/$state)" \
        || problem "$name: ExecStart's --home is not /var/lib/$state (StateDirectory=$state)"
    grep -q '^User=outpost$' "$unit" && pass "$name runs as User=outpost" || problem "$name does not run as User=outpost"
    flags_accepted "$name" "${argv[@]:1}"
done

echo "== sysusers"
# Installed where docs/deploy.md puts it, in an empty root: the user it makes lands in its
# etc/passwd.
install -D -m 0644 packaging/systemd/outpost.sysusers.conf "$work/root/etc/sysusers.d/outpost.conf"
if output=$(systemd-sysusers --root="$work/root" 2>&1) \
    && grep -q '^outpost:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$work/root/etc/passwd"; then
    pass "systemd-sysusers makes the system user outpost ($(grep '^outpost:' "$work/root/etc/passwd"))"
else
    problem "systemd-sysusers --root did not make the user outpost with no login shell: $output"
fi

echo "== scripts/release.sh"
bash -n scripts/release.sh && pass "bash -n scripts/release.sh" || problem "scripts/release.sh has a syntax error"
scripts/release.sh --help | grep -q '^Examples:' && pass "scripts/release.sh --help has examples" || problem "scripts/release.sh --help fails or has no examples"
if command -v shellcheck >/dev/null; then
    shellcheck --severity=warning scripts/release.sh scripts/check-packaging.sh && pass "shellcheck (warnings and errors)" || problem "shellcheck found problems"
fi

echo "== container recipes (read, not built: no container engine here)"
# The Debian packages the binary loads, besides libc6 and libgcc-s1 (in every Debian image).
needed=()
while read -r path; do
    for candidate in "$path" "$(readlink -f "$path")" "/usr$path"; do
        package=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) || true
        [ -n "$package" ] && break
    done
    case "$package" in "" | libc6 | libgcc-s1) ;; *) needed+=("$package") ;; esac
done < <(ldd "$binary" | grep -o '/[^ ]*' | sort -u)
mapfile -t needed < <(printf '%s\n' "${needed[@]}" | sort -u)
for recipe in packaging/container/hub.Containerfile packaging/container/node.Containerfile; do
    name=$(basename "$recipe")
    # One logical line per instruction (continuations joined), comments dropped.
    grep -v '^\s*#' "$recipe" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' >"$work/$name"
    stages=$(grep -c '^FROM ' "$work/$name" || true)
    [ "$stages" -ge 2 ] && pass "$name: $stages stages" || problem "$name: $stages FROM line(s); expected a build stage and a runtime stage"
    grep -q '^FROM swift:[0-9.]*-bookworm AS build$' "$work/$name" && pass "$name: builds FROM swift:…-bookworm" \
        || problem "$name: the first stage is not 'FROM swift:VERSION-bookworm AS build'"
    grep -q 'scripts/release.sh\|--static-swift-stdlib' "$work/$name" && pass "$name: builds with the Swift runtime linked in (release.sh)" \
        || problem "$name: the build stage neither runs scripts/release.sh nor passes --static-swift-stdlib"
    runtime=$(awk '/^FROM /{n++} n>=2' "$work/$name")
    [ -n "$runtime" ] || runtime="(no runtime stage)"
    grep -q '^FROM debian:bookworm-slim$' <<<"$runtime" && pass "$name: runtime stage FROM debian:bookworm-slim" \
        || problem "$name: the last stage is not FROM debian:bookworm-slim"
    user=$(grep '^USER ' <<<"$runtime" | tail -n 1 | awk '{print $2}') || true
    case "${user%%:*}" in
        "" | root | 0) problem "$name: the runtime stage runs as root (no USER, or USER ${user:-none})" ;;
        *) pass "$name: runs as USER $user" ;;
    esac
    grep -q '^HEALTHCHECK .*CMD .*/health' <<<"$runtime" && pass "$name: HEALTHCHECK on /health" || problem "$name: no HEALTHCHECK that asks /health"
    grep -q '^VOLUME /var/lib/outpost-' <<<"$runtime" && pass "$name: a VOLUME for the data" || problem "$name: no VOLUME /var/lib/outpost-…"
    grep -q '^COPY --from=build ' <<<"$runtime" && pass "$name: copies the binary from the build stage" || problem "$name: no COPY --from=build"
    installed=$(grep '^RUN .*apt-get install' <<<"$runtime" || true)
    extra=()
    [ "$name" = node.Containerfile ] && extra=(git tar)
    missing=0
    for package in "${needed[@]}" curl "${extra[@]}"; do
        grep -qw -- "$package" <<<"$installed" && continue
        problem "$name: the runtime stage does not install $package (the binary, the node's commands or the health check need it)"
        missing=1
    done
    [ "$missing" -eq 1 ] || pass "$name: installs $(printf '%s ' "${needed[@]}" curl "${extra[@]}" | sed 's/ $//')"
    cmd=$(grep '^CMD ' <<<"$runtime" | tail -n 1 | grep -o '"[^"]*"' | tr -d '"' | tr '\n' ' ') || true
    read -r -a argv <<<"$cmd"
    flags_accepted "$name CMD" "${argv[@]}"
    for source in $(grep '^COPY ' "$work/$name" | grep -v -- '--from=' | awk '{for (i = 2; i < NF; i++) print $i}'); do
        [ "$source" = "Package.*" ] && source=Package.swift
        grep -qx "!$source" .dockerignore || problem "$name copies $source, which .dockerignore leaves out of the build context"
    done
done

echo
if [ ${#problems[@]} -gt 0 ]; then
    echo "check-packaging.sh: ${#problems[@]} problem(s):" >&2
    printf '  - %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "check-packaging.sh: all checks passed"
