#!/usr/bin/env bash
# Builds the release binary with the Swift runtime linked in, records what it still needs from
# the system, and runs it in a minimal chroot that holds nothing else. See --help.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

usage() {
    cat <<'EOF'
Usage: scripts/release.sh [--binary PATH] [--out DIR] [--strip] [--no-chroot]

Builds `outpost` for release with the Swift runtime linked in:

  swift build -c release --product outpost --static-swift-stdlib

copies it to dist/outpost, and writes dist/outpost.txt: its size, its sha256, the shared
libraries it still loads (ldd) with the Debian package that provides each (dpkg -S), and
the programs it runs (git, tar). dist/outpost.sha256 is for `sha256sum -c`.

Then, as root, it runs the binary in a chroot made in a temporary folder that holds only
the binary, those libraries with the dynamic loader, /tmp, /dev/null and /dev/urandom:
--help, a node (init, agent add, sql, track, status), a hub (tenant add, node add,
serve), a sync from the node to that hub, and `outpost run --metrics` with /live and
/health fetched by curl from outside. No git and no tar are in the chroot: the summary
says what the workspace and backup commands answer without them.

Options:
  --binary PATH   Package this already built binary instead of building one.
  --out DIR       Write the binary and its record here (default: dist).
  --strip         Ship the binary without its debug information (strip --strip-debug;
                  the symbol table stays, so crash backtraces still name functions).
  --no-chroot     Do not run the chroot check (it needs root). Without this option a
                  run that is not root says the check was skipped and exits 77.
  -h, --help      Show this help.

Examples:
  scripts/release.sh                                   # build, record, check (as root)
  scripts/release.sh --strip                           # the same, without debug information
  scripts/release.sh --binary .build/release/outpost   # package a binary built earlier
  scripts/release.sh --no-chroot                       # not root: build and record only
EOF
}

binary=""
out="dist"
strip_debug=false
chroot_check=true
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) [ $# -ge 2 ] || { echo "release.sh: --binary needs a path." >&2; exit 64; }; binary=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || { echo "release.sh: --out needs a folder." >&2; exit 64; }; out=$2; shift 2 ;;
        --strip) strip_debug=true; shift ;;
        --no-chroot) chroot_check=false; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "release.sh: unknown argument '$1'; see scripts/release.sh --help." >&2; exit 64 ;;
    esac
done

for tool in ldd sha256sum dpkg stat; do
    command -v "$tool" >/dev/null || { echo "release.sh: '$tool' is missing; this script expects Debian or Ubuntu." >&2; exit 69; }
done

# ---- build (or take the given binary)
if [ -n "$binary" ]; then
    [ -f "$binary" ] && [ -x "$binary" ] || { echo "release.sh: '$binary' is not an executable file." >&2; exit 66; }
    origin="packaged from --binary $(realpath "$binary") (not built by this run)"
else
    command -v swift >/dev/null || { echo "release.sh: swift is not on PATH; install Swift 6.2 or later first." >&2; exit 69; }
    echo "== swift build -c release --product outpost --static-swift-stdlib"
    swift build -c release --product outpost --static-swift-stdlib
    binary="$(swift build -c release --show-bin-path)/outpost"
    commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit with local changes"; fi
    origin="built by scripts/release.sh from git $commit with $(swift --version 2>/dev/null | head -n 1)"
fi

mkdir -p "$out"
install -m 0755 "$binary" "$out/outpost.new"
if $strip_debug; then
    command -v strip >/dev/null || { echo "release.sh: --strip needs 'strip' (apt-get install binutils)." >&2; exit 69; }
    strip --strip-debug "$out/outpost.new"
fi
mv -f "$out/outpost.new" "$out/outpost"
shipped="$out/outpost"

# ---- record: size, checksum, shared libraries and their packages
bytes=$(stat -c %s "$shipped")
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
sha=$(sha256sum "$shipped" | cut -d' ' -f1)
(cd "$out" && sha256sum outpost > outpost.sha256)

# The package that installed a library: dpkg knows the path it installed, which on a merged
# /usr system may be /usr/lib/… while ldd prints /lib/…, or the file a symbolic link names.
package_of() {
    local path=$1 candidate found
    for candidate in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
        [ -n "$candidate" ] || continue
        found=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) || true
        [ -n "$found" ] && { echo "$found"; return; }
    done
    echo "-"
}

ldd_output=$(ldd "$shipped" 2>&1) || true
libraries=()   # "name path" pairs; the loader is one of them
if grep -q "not a dynamic executable\|statically linked" <<<"$ldd_output"; then
    :
else
    if grep -q "not found" <<<"$ldd_output"; then
        echo "release.sh: the binary needs libraries this machine lacks:" >&2
        grep "not found" <<<"$ldd_output" >&2
        exit 69
    fi
    while read -r line; do
        case "$line" in
            *"=>"*) name=${line%% =>*}; path=$(awk '{print $3}' <<<"$line") ;;
            /*) path=${line%% *}; name=$(basename "$path") ;;
            *) continue ;;   # linux-vdso.so.1: the kernel's, no file
        esac
        libraries+=("$name $path")
    done <<<"$ldd_output"
fi

library_lines=""
packages=()
swift_runtime=()
for entry in "${libraries[@]}"; do
    name=${entry%% *}
    path=${entry#* }
    package=$(package_of "$path")
    [ "$package" != "-" ] && packages+=("$package")
    case "$name" in libswift* | libFoundation* | lib_Foundation* | libdispatch* | libBlocksRuntime*) swift_runtime+=("$name") ;; esac
    library_lines+=$(printf '  %-36s %-58s %s' "$name" "$path" "${package/#-/(no Debian package)}")$'\n'
done
package_list=$(printf '%s\n' "${packages[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//')
if [ ${#libraries[@]} -eq 0 ]; then
    runtime_line="linked in; the binary is static and loads no shared library"
    library_lines="  (none)"$'\n'
elif [ ${#swift_runtime[@]} -eq 0 ]; then
    runtime_line="linked in (no libswift*.so or libFoundation*.so is loaded)"
else
    runtime_line="NOT linked in: it loads ${#swift_runtime[@]} Swift runtime libraries (${swift_runtime[0]}, …) from the toolchain; build it with --static-swift-stdlib (this script's default)"
fi
system=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown system}")

record="$out/outpost.txt"
{
    echo "Outpost release binary"
    echo "  file:           $shipped"
    echo "  origin:         $origin"
    echo "  debug info:     $($strip_debug && echo "stripped (--strip)" || echo "kept")"
    echo "  size:           $bytes bytes ($mib MiB)"
    echo "  sha256:         $sha"
    echo "  Swift runtime:  $runtime_line"
    echo "  recorded on:    $system, $(uname -m), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "Shared libraries it still loads (ldd), and the Debian package of each (dpkg -S):"
    printf '%s' "$library_lines"
    echo
    echo "Debian packages:  ${package_list:-(none)}"
    echo "Programs it runs: git (every outpost workspace command; outpost run when the node has a workspace),"
    echo "                  tar (outpost backup, outpost restore), and whatever a workflow's command steps name."
    echo "                  The hub and the node's other commands run no other program."
} >"$record"

# ---- check: run it in a chroot that holds nothing else
chroot_line=""
finish() {
    echo "Check in a minimal chroot: $chroot_line" >>"$record"
    echo
    cat "$record"
}

if ! $chroot_check; then
    chroot_line="skipped (--no-chroot)"
    finish
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    chroot_line="skipped: it needs root (chroot, mknod); run as root, or pass --no-chroot to package without it"
    finish
    echo "release.sh: chroot check skipped: not root (uid $(id -u)); run as root, or pass --no-chroot." >&2
    exit 77
fi
for tool in chroot mknod curl timeout; do
    command -v "$tool" >/dev/null || { echo "release.sh: '$tool' is missing; it is needed for the chroot check (or pass --no-chroot)." >&2; exit 69; }
done

root=""
mounts=()
background=()
cleanup() {
    local status=$? pid mount i
    # The background commands still running: SIGTERM to all, up to 5 s to end, then SIGKILL.
    for pid in "${background[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for i in $(seq 50); do
        local running=0
        for pid in "${background[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
        [ "$running" -eq 1 ] || break
        sleep 0.1
    done
    for pid in "${background[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    # Any process still running inside the chroot (found by its root folder, never by name).
    if [ -n "$root" ]; then
        for i in /proc/[0-9]*; do
            [ "$(readlink "$i/root" 2>/dev/null)" = "$root" ] && kill -KILL "${i#/proc/}" 2>/dev/null || true
        done
    fi
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        mount=${mounts[i]}
        umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || echo "release.sh: could not unmount $mount" >&2
    done
    if [ -n "$root" ] && [ -d "$root" ]; then
        if grep -qF " $root/" /proc/mounts; then
            echo "release.sh: left $root in place: something is still mounted inside it" >&2
        else
            rm -rf "$root" "$root.logs"
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

root=$(mktemp -d /tmp/outpost-chroot.XXXXXX)
logs="$root.logs"
mkdir -p "$root/bin" "$root/tmp" "$root/dev" "$logs"
chmod 1777 "$root/tmp"
cp "$shipped" "$root/bin/outpost"
for entry in "${libraries[@]}"; do
    path=${entry#* }
    mkdir -p "$root$(dirname "$path")"
    cp -L "$path" "$root$path"
done

# Device nodes: mknod, or bind mounts when the folder's file system ignores devices (nodev).
device() {
    local name=$1 major=$2 minor=$3
    mknod -m 0666 "$root/dev/$name" c "$major" "$minor"
    if ! head -c 1 "$root/dev/$name" >/dev/null 2>&1; then
        rm -f "$root/dev/$name"
        touch "$root/dev/$name"
        mount --bind "/dev/$name" "$root/dev/$name"
        mounts+=("$root/dev/$name")
    fi
}
device null 1 3
device urandom 1 9

# Absolute paths: inside `env -i PATH=/bin` they would not be found (chroot is in /usr/sbin).
chroot_program=$(command -v chroot)
timeout_program=$(command -v timeout)
in_chroot() { env -i PATH=/bin HOME=/tmp LANG=C.UTF-8 "$timeout_program" 60 "$chroot_program" "$root" /bin/outpost "$@"; }
# The same, to start with & (no timeout: the script stops it). `exec`, so that $! is outpost
# itself (env and chroot exec too) and a signal sent to $! reaches it, not a subshell.
in_chroot_background() { exec env -i PATH=/bin HOME=/tmp LANG=C.UTF-8 "$chroot_program" "$root" /bin/outpost "$@"; }

failed() {
    chroot_line="FAILED at: $1"
    echo "release.sh: in the chroot, '$1' failed${2:+: $2}; its output:" >&2
    cat "$logs/step.out" >&2
    local log
    for log in hub run; do
        [ -s "$logs/$log.log" ] && { echo "release.sh: the end of the background '$log' command's output:" >&2; tail -n 20 "$logs/$log.log" >&2; }
    done
    finish
    exit 1
}
# step LABEL PATTERN COMMAND…: the command must exit 0 and print a line matching PATTERN (an
# extended regular expression). A status alone proves little: a Swift program that cannot read
# its arguments prints the top-level help and exits 0.
done_steps=()
step() {
    local label=$1 pattern=$2 status=0
    shift 2
    "$@" >"$logs/step.out" 2>&1 || status=$?
    [ "$status" -eq 0 ] || failed "$label" "exit status $status"
    [ -z "$pattern" ] || grep -Eq -- "$pattern" "$logs/step.out" || failed "$label" "no line matches /$pattern/"
    done_steps+=("$label")
}
# Waits for the line a background command prints (in its log file) and prints the port in it.
port_from() {
    local log=$1 pattern=$2 pid=$3 i port
    for i in $(seq 300); do
        port=$(grep -o "${pattern}[0-9]*" "$log" 2>/dev/null | head -n 1 | grep -o '[0-9]*$') || true
        [ -n "$port" ] && { echo "$port"; return 0; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    cp "$log" "$logs/step.out"
    return 1
}
# Sends SIGTERM and expects a clean exit (status 0) within 30 s.
stop_cleanly() {
    local pid=$1 status=0 i
    kill -TERM "$pid"
    for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "still running 30 s after SIGTERM"; return 1; }
    wait "$pid" || status=$?
    echo "exit status $status"
    [ "$status" -eq 0 ]
}

# First without /proc, to record whether the binary needs it.
proc_status=0
proc_output=$(in_chroot init --home /tmp/without-proc 2>&1) || proc_status=$?
if [ "$proc_status" -eq 0 ] && grep -q "Initialised node" <<<"$proc_output"; then
    proc_answer="not needed: \`outpost init\` worked without /proc"
else
    if grep -q '^OVERVIEW:' <<<"$proc_output"; then
        proc_seen="printed the top-level help (status $proc_status)"
    else
        proc_seen="printed \"$(head -n 1 <<<"$proc_output")\" (status $proc_status)"
    fi
    proc_answer="needed: without it \`outpost init --home DIR\` $proc_seen: the Swift runtime on Linux reads a program's arguments from /proc/self/cmdline"
fi
rm -rf "$root/tmp/without-proc"
mkdir -p "$root/proc"
mount -t proc proc "$root/proc"
mounts+=("$root/proc")

step "outpost --help" 'USAGE: outpost <subcommand>' in_chroot --help
step "outpost init --home /tmp/node" '^Initialised node at /tmp/node' in_chroot init --home /tmp/node
step "outpost agent add" '^Added agent' in_chroot agent add --home /tmp/node --name "Line camera" --type vision --config '{"fps": 5}'
step "outpost sql (CREATE TABLE)" '' in_chroot sql --home /tmp/node "CREATE TABLE readings (id TEXT PRIMARY KEY, value REAL)"
step "outpost track readings" '^Tracking readings' in_chroot track --home /tmp/node readings
step "outpost sql (INSERT)" '1 row' in_chroot sql --home /tmp/node "INSERT INTO readings VALUES ('r1', 20.5)"
step "outpost status" '^agents: +1$' in_chroot status --home /tmp/node
step "outpost hub tenant add acme --home /tmp/hub" '^Added tenant acme' in_chroot hub tenant add acme --home /tmp/hub
step "outpost hub node add" '^token: ' in_chroot hub node add --tenant acme --name line-1 --home /tmp/hub
token=$(sed -n 's/^token: //p' "$logs/step.out")

in_chroot_background hub serve --home /tmp/hub --port 0 >"$logs/hub.log" 2>&1 &
hub_pid=$!
background+=("$hub_pid")
hub_port=$(port_from "$logs/hub.log" "listening on http://127.0.0.1:" "$hub_pid") || failed "outpost hub serve --port 0" "no 'listening on' line"
done_steps+=("outpost hub serve --home /tmp/hub --port 0 (in the background)")
step "hub: GET /health (curl from outside the chroot)" '"status":"ok"' curl -fsS --max-time 10 "http://127.0.0.1:$hub_port/health"
remote_set() { printf '%s' "$token" | in_chroot remote set "http://127.0.0.1:$hub_port" --token - --home /tmp/node; }
step "outpost remote set (token on standard input)" '^remote set: ' remote_set
step "outpost sync (to that hub)" '^synced: pushed 2' in_chroot sync --home /tmp/node

in_chroot_background run --home /tmp/node --metrics 127.0.0.1:0 >"$logs/run.log" 2>&1 &
run_pid=$!
background+=("$run_pid")
metrics_port=$(port_from "$logs/run.log" "metrics on http://127.0.0.1:" "$run_pid") || failed "outpost run --metrics 127.0.0.1:0" "no 'metrics on' line"
done_steps+=("outpost run --metrics 127.0.0.1:0 (in the background)")
# /live came after /health: a binary whose `run --help` does not mention it is not asked for it.
if in_chroot run --help 2>&1 | grep -q '/live'; then
    step "node: GET /live" '^ok' curl -fsS --max-time 10 "http://127.0.0.1:$metrics_port/live"
else
    done_steps+=("node: GET /live not tried: this binary's \`outpost run --help\` does not offer /live")
fi
step "node: GET /health" '' curl -fsS --max-time 10 "http://127.0.0.1:$metrics_port/health"
node_health=$(head -c 300 "$logs/step.out")
step "outpost run: SIGTERM, then exit status 0" '' stop_cleanly "$run_pid"
step "hub serve: SIGTERM, then exit status 0" '' stop_cleanly "$hub_pid"

# Without git and tar: what the commands that need them answer (they should fail, in one line).
without() {
    local output status=0
    output=$(in_chroot "$@" 2>&1) || status=$?
    if [ "$status" -eq 0 ]; then echo "ran (status 0)"; else echo "\"$(head -n 1 <<<"$output")\" (status $status)"; fi
}
workspace_answer=$(without workspace init --home /tmp/node)
if in_chroot backup --help 2>&1 | grep -q 'USAGE: outpost backup'; then
    backup_answer=$(without backup --to /tmp/node.tar --home /tmp/node)
else
    backup_answer="not tried: this binary has no \`outpost backup\`"
fi

chroot_line="passed"
{
    echo "Check in a minimal chroot: passed. The chroot held only /bin/outpost, the libraries above with"
    echo "  the loader, /tmp, /dev/null, /dev/urandom and /proc: no shell, no /etc, no git, no tar."
    echo "  /proc: $proc_answer."
    echo "  Steps (each printed what it should, and exited 0):"
    printf '    %s\n' "${done_steps[@]}"
    echo "  The node's /health answered: $node_health"
    echo "  Without git, \`outpost workspace init\` answers: $workspace_answer"
    echo "  Without tar, \`outpost backup\` answers: $backup_answer"
} >>"$record"
echo
cat "$record"
