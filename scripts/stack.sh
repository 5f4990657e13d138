#!/usr/bin/env bash
# Local service stack for development and tests (tooling, not part of the product).
# See usage() below, or run: bash scripts/stack.sh help
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bash scripts/stack.sh up|down|status|env|restart-db|restart-synapse|help
       (or: npm run stack -- up)

Starts, on this machine and without Docker:
  - Synapse (Debian sid package) on http://127.0.0.1:8008, server name "localhost",
    SQLite, registration by shared secret only, no federation, no key servers,
    rate limits raised very high (TNL_STACK_REAL_RATE_LIMITS=1 keeps Synapse's defaults);
  - PostgreSQL 18 with the DocumentDB extension on 127.0.0.1:55432 (trust auth on loopback,
    database "postgres");
  - the MongoDB wire-protocol gateway (scripts/docdb-gateway/main.ts) on 127.0.0.1:27027,
    so the official mongodb driver talks to DocumentDB.

Synapse and PostgreSQL run in a Debian sid chroot built with debootstrap from the Debian mirror
already configured in /etc/apt. The chroot is cached outside the clone, keyed by its package list
(/var/cache/tnl-stack/chroot-<hash>): the first `up` builds it (a few minutes), later ones take
seconds. Needs root (debootstrap, chroot, mount).

Commands:
  up      start what is not running (idempotent) and print the environment as `export` lines
          on stdout (progress goes to stderr), e.g.  eval "$(bash scripts/stack.sh up)"
  down    stop everything this clone started and unmount what it mounted
  status  say what runs (exit 0 only when everything runs)
  env     print the `export` lines of the running stack
          (TNL_HOMESERVER_URL, TNL_REGISTRATION_SECRET, TNL_MONGODB_URI, TNL_PG_URL)
  restart-db [SECONDS]
          fault injection: fast-stop the gateway and PostgreSQL (data kept), stay down SECONDS
          (default 0), start both again; returns once the gateway accepts connections
  restart-synapse [SECONDS]
          fault injection: stop Synapse (data kept), stay down SECONDS (default 0), start it
          again; returns once it answers /_matrix/client/versions
          Both disturb every client of the stack: tests that use them must not run alongside
          others (see the "exclusive" project in vitest.config.ts).

The test command (vitest, through test/global-setup.ts) runs `up` itself and leaves the stack
running afterwards so that re-runs are fast; stop it with `bash scripts/stack.sh down`.

Per-clone state (configs, SQLite, PostgreSQL data, logs, pid files) lives in .stack/ of the clone;
`down` then `rm -rf .stack` gives a fresh homeserver and database.

Environment (read by `up`):
  TNL_STACK_SYNAPSE_PORT   default 8008
  TNL_STACK_PG_PORT        default 55432
  TNL_STACK_GATEWAY_PORT   default 27027
  TNL_STACK_REAL_RATE_LIMITS=1   keep Synapse's default rate limits (applies when Synapse starts:
                           `down` then `up` to switch)
  TNL_STACK_CACHE_DIR      default /var/cache/tnl-stack (where chroots are cached)
  TNL_STACK_MIRROR         Debian mirror URL; default: the one configured in /etc/apt
  TNL_STACK_START_TIMEOUT  seconds to wait for each service, default 180

Docker: where a Docker engine is usable (`docker info` succeeds), the same services can come
from official images instead (matrixdotorg/synapse with the same homeserver.yaml, and
ghcr.io/documentdb/documentdb or FerretDB 2 which speaks the MongoDB protocol itself, making the
gateway unnecessary). This script does not do that: no engine runs on the machines it targets.
EOF
}

die() {
  printf 'stack: error: %s\n' "$*" >&2
  exit 1
}
say() { printf 'stack: %s\n' "$*" >&2; }
warn() { printf 'stack: WARNING: %s\n' "$*" >&2; }

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
STATE=$ROOT_DIR/.stack
CACHE=${TNL_STACK_CACHE_DIR:-/var/cache/tnl-stack}
SYNAPSE_PORT=${TNL_STACK_SYNAPSE_PORT:-8008}
PG_PORT=${TNL_STACK_PG_PORT:-55432}
GATEWAY_PORT=${TNL_STACK_GATEWAY_PORT:-27027}
START_TIMEOUT=${TNL_STACK_START_TIMEOUT:-180}
PG_DB=postgres
PG_BIN=/usr/lib/postgresql/18/bin

# What the chroot contains; its hash names the cached chroot. Bump RECIPE when the build changes.
SUITE=sid
PACKAGES=(matrix-synapse postgresql-18-documentdb)
RECIPE=1
CHROOT_KEY=$(printf '%s\n' "recipe=$RECIPE" "suite=$SUITE" "${PACKAGES[@]}" | sha256sum | cut -c1-16)
CHROOT=$CACHE/chroot-$CHROOT_KEY

# Each clone mounts its .stack/ at its own path inside the chroot, so clones sharing the chroot
# do not clash (ports still must differ: see TNL_STACK_*_PORT).
CLONE_ID=$(printf '%s' "$ROOT_DIR" | sha256sum | cut -c1-12)
INNER=/tnl/$CLONE_ID

LOGS=$STATE/logs
RUN=$STATE/run

for p in "$SYNAPSE_PORT" "$PG_PORT" "$GATEWAY_PORT"; do
  [[ $p =~ ^[0-9]+$ ]] || die "ports must be numbers (got '$p')"
done

need_root() {
  [[ $(id -u) == 0 ]] || die "'$1' needs root (it uses debootstrap, chroot and mount). Run it as root, e.g. sudo bash scripts/stack.sh $1"
}

log_tail() {
  if [[ -f $1 ]]; then
    printf -- '--- last lines of %s ---\n' "$1" >&2
    tail -n "${2:-40}" "$1" >&2
    printf -- '---\n' >&2
  fi
}

# ---------------------------------------------------------------------------------------------
# Processes

# A pid from a pid file, if that process is alive and its command line contains $2.
live_pid() {
  local file=$1 marker=$2 pid
  [[ -f $file ]] || return 1
  pid=$(head -n1 "$file" 2>/dev/null | tr -dc 0-9)
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
  printf '%s' "$pid"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# HTTP GET on 127.0.0.1 without depending on curl; succeeds on a 200 answer.
http_ok() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  IFS= read -r -t 5 line <&3 || exit 1
  [[ $line == HTTP/*' 200 '* ]]
) 2>/dev/null

stop_pid() {
  local pid=$1 name=$2 signal=${3:-TERM} waited=0
  kill "-$signal" "$pid" 2>/dev/null || return 0
  while alive "$pid" && ((waited < 300)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if alive "$pid"; then
    warn "$name (pid $pid) did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

synapse_pid() { live_pid "$RUN/synapse.pid" "$INNER/synapse/homeserver.yaml"; }
# postmaster.pid sits in a 0700 directory: non-root `status` falls back on our copy.
postgres_pid() { live_pid "$STATE/pg/data/postmaster.pid" "$INNER/pg/data" || live_pid "$RUN/postgres.pid" "$INNER/pg/data"; }
gateway_pid() { live_pid "$RUN/gateway.pid" "docdb-gateway/main.ts"; }

# ---------------------------------------------------------------------------------------------
# Chroot build (cached)

# The Debian archive configured for apt on this host (deb822 .sources and one-line .list files).
find_mirror() {
  if [[ -n ${TNL_STACK_MIRROR:-} ]]; then
    printf '%s' "${TNL_STACK_MIRROR%/}"
    return
  fi
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && files+=("$f")
  done
  ((${#files[@]})) || return 1
  awk '
    function consider(uri) {
      sub(/\/+$/, "", uri)
      if (uri ~ /^(https?|ftp):\/\/.*\/debian$/ && !found) { print uri; found = 1 }
    }
    function flush(i) { if (insrc && isdeb && enabled) for (i in uris) consider(uris[i]); isdeb = 0; enabled = 1; split("", uris) }
    FNR == 1 { flush(); insrc = (FILENAME ~ /\.sources$/) }
    insrc && /^[[:space:]]*$/ { flush(); next }
    insrc && tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") isdeb = 1 }
    insrc && tolower($1) == "enabled:" && tolower($2) == "no" { enabled = 0 }
    insrc && tolower($1) == "uris:" { for (i = 2; i <= NF; i++) uris[i] = $i }
    insrc { next }
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      consider($i)
    }
    END { flush() }
  ' "${files[@]}"
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return
  say "debootstrap is not installed: installing it with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >"$LOGS/apt-debootstrap.log" 2>&1; then
    say "apt-get install failed; running apt-get update once and retrying"
    DEBIAN_FRONTEND=noninteractive apt-get update >>"$LOGS/apt-debootstrap.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >>"$LOGS/apt-debootstrap.log" 2>&1 || {
      log_tail "$LOGS/apt-debootstrap.log" 15
      die "debootstrap is missing and 'apt-get install debootstrap' failed (see above). Install it by hand."
    }
  fi
  command -v debootstrap >/dev/null || die "debootstrap is still not on PATH after installing it"
}

is_mounted() { mountpoint -q -- "$1" 2>/dev/null; }

# Unmounts everything under a directory (deepest first).
unmount_under() {
  local dir=$1 mp
  while read -r mp; do
    umount -- "$mp" 2>/dev/null || umount -l -- "$mp" 2>/dev/null || true
  done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

build_chroot() {
  [[ -f $CHROOT/.tnl-stack-ready ]] && return
  mkdir -p "$CACHE"
  local lock
  exec {lock}>"$CACHE/.build-$CHROOT_KEY.lock"
  if ! flock -n "$lock"; then
    say "another process is building the chroot; waiting for it"
    flock "$lock"
  fi
  if [[ -f $CHROOT/.tnl-stack-ready ]]; then
    exec {lock}>&-
    return
  fi

  ensure_debootstrap
  local mirror
  mirror=$(find_mirror) || true
  [[ -n $mirror ]] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*} (a 'deb' entry whose URL ends in /debian); set TNL_STACK_MIRROR to one"
  local probe
  probe=$(mktemp)
  if ! /usr/lib/apt/apt-helper download-file "$mirror/dists/$SUITE/Release" "$probe" >/dev/null 2>&1; then
    rm -f "$probe"
    die "the Debian mirror $mirror ($([[ -n ${TNL_STACK_MIRROR:-} ]] && echo from TNL_STACK_MIRROR || echo from /etc/apt)) does not serve $mirror/dists/$SUITE/Release: unreachable or no '$SUITE' suite; set TNL_STACK_MIRROR to a mirror that has it"
  fi
  rm -f "$probe"

  # Leftovers of interrupted builds (their builder is gone since we hold the lock).
  local old
  for old in "$CACHE"/tmp-chroot-"$CHROOT_KEY".*; do
    [[ -d $old ]] || continue
    unmount_under "$old"
    awk -v d="$old" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo && die "cannot unmount leftovers in $old"
    rm -rf --one-file-system -- "$old"
  done

  local tmp=$CACHE/tmp-chroot-$CHROOT_KEY.$$ log=$LOGS/chroot-build.log start=$SECONDS
  say "building the Debian $SUITE chroot ($(
    IFS=,
    echo "${PACKAGES[*]}"
  )) from $mirror into $CHROOT"
  say "first time only: a few minutes; log in $log"
  : >"$log"
  # debootstrap's resolver misses virtual packages, so its own configure step fails;
  # apt inside the chroot completes the install below.
  if ! debootstrap --variant=minbase --include="$(
    IFS=,
    echo "${PACKAGES[*]}"
  )" "$SUITE" "$tmp" "$mirror" >>"$log" 2>&1; then
    say "debootstrap ended with configure errors (expected); completing with apt inside the chroot"
  fi
  [[ -x $tmp/usr/bin/apt-get ]] || {
    log_tail "$log"
    die "debootstrap did not produce a usable system in $tmp (see above)"
  }
  # No service may start inside the chroot while installing.
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod 755 "$tmp/usr/sbin/policy-rc.d"
  printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$tmp/etc/apt/sources.list"
  is_mounted "$tmp/proc" || mount -t proc proc "$tmp/proc"
  local ok=1
  {
    chroot "$tmp" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
      apt-get -o Acquire::Check-Valid-Until=false update &&
      chroot "$tmp" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
        apt-get -f install -y python3-cffi-backend &&
      chroot "$tmp" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
        apt-get install -y --no-install-recommends "${PACKAGES[@]}" &&
      chroot "$tmp" apt-get clean
  } >>"$log" 2>&1 || ok=0
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    chroot "$tmp" dpkg-query -W -f '${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || ok=0
  done
  [[ -z $(chroot "$tmp" dpkg --audit 2>/dev/null) ]] || ok=0
  unmount_under "$tmp"
  if ((ok == 0)); then
    log_tail "$log"
    die "completing the chroot install failed (see above; full log $log); the partial chroot is left in $tmp"
  fi
  rm -rf "$tmp/debootstrap" "$tmp"/var/lib/apt/lists/* # lists: 100 MB, and `apt-get update` rebuilds them if ever needed
  mkdir -p "$tmp/tnl"
  printf 'built %s from %s: %s\n' "$(date -u +%FT%TZ)" "$mirror" "${PACKAGES[*]}" >"$tmp/.tnl-stack-ready"
  mv -T "$tmp" "$CHROOT"
  say "chroot ready in $((SECONDS - start)) s: $CHROOT"
  exec {lock}>&-
}

# ---------------------------------------------------------------------------------------------
# Mounts: /proc and this clone's .stack/ inside the chroot, only while the stack runs.

chroot_in_use() {
  [[ -f $RUN/chroot ]] && cat "$RUN/chroot" || printf '%s' "$CHROOT"
}

# Two paths name the same directory (device and inode), mounts followed.
same_dir() {
  local a b
  a=$(stat -Lc %d:%i -- "$1" 2>/dev/null) && b=$(stat -Lc %d:%i -- "$2" 2>/dev/null) && [[ $a == "$b" ]]
}

# Mounts in the shared chroot outlive the checkout that made them when its stack was never
# stopped (a CI workspace wiped and checked out again at the same path, a clone deleted while its
# stack ran). Such a mount shows a deleted directory, where nothing can be created, so it is
# dropped; one at this clone's own path that is not this .stack/ is replaced.
drop_stale_mounts() {
  local root=$1 mp
  while IFS= read -r mp; do
    say "unmounting $mp (left by a checkout that no longer exists)"
    umount -l -- "$mp" 2>/dev/null || true
    rmdir -- "$mp" 2>/dev/null || true
  done < <(awk -v d="$root/tnl/" 'index($5, d) == 1 && $4 ~ /\/\/deleted$/ { print $5 }' /proc/self/mountinfo)
  if is_mounted "$root$INNER" && ! same_dir "$root$INNER" "$STATE"; then
    say "replacing the mount at $root$INNER (it is not this clone's .stack/)"
    umount -- "$root$INNER" 2>/dev/null || umount -l -- "$root$INNER"
  fi
}

mount_runtime() {
  local root=$1
  drop_stale_mounts "$root"
  mkdir -p "$root$INNER"
  is_mounted "$root/proc" || mount -t proc proc "$root/proc"
  is_mounted "$root$INNER" || mount --bind "$STATE" "$root$INNER"
  printf '%s\n' "$root" >"$RUN/chroot"
}

unmount_runtime() {
  local root=$1
  if is_mounted "$root$INNER"; then
    umount -- "$root$INNER" || umount -l -- "$root$INNER"
  fi
  rmdir -- "$root$INNER" 2>/dev/null || true
  # /proc stays while another clone still runs its stack in the same chroot.
  if is_mounted "$root/proc" && ! awk -v d="$root/tnl/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    umount -- "$root/proc" || umount -l -- "$root/proc"
  fi
  rm -f "$RUN/chroot"
}

# Runs a command in the chroot as a given user, with a clean environment.
in_chroot() {
  local user=$1
  shift
  chroot --userspec="$user" "$(chroot_in_use)" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=/tmp "$@"
}

chroot_uid() { awk -F: -v u="$2" '$1 == u { print $3 ":" $4 }' "$1/etc/passwd"; }

# ---------------------------------------------------------------------------------------------
# Configuration (regenerated at each start; secrets are kept per state dir)

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

ensure_secrets() {
  if [[ ! -f $STATE/secrets.env ]]; then
    umask 077
    {
      printf 'REGISTRATION_SECRET=%s\n' "$(random_hex 32)"
      printf 'MACAROON_SECRET=%s\n' "$(random_hex 32)"
      printf 'FORM_SECRET=%s\n' "$(random_hex 32)"
    } >"$STATE/secrets.env.tmp"
    mv "$STATE/secrets.env.tmp" "$STATE/secrets.env"
    umask 022
  fi
  # shellcheck disable=SC1091
  source "$STATE/secrets.env"
}

limits_mode() { [[ ${TNL_STACK_REAL_RATE_LIMITS:-} == 1 ]] && echo real || echo raised; }

rate_limits() {
  if [[ $(limits_mode) == real ]]; then
    printf '# TNL_STACK_REAL_RATE_LIMITS=1: Synapse default rate limits.\n'
    return
  fi
  local r='{per_second: 100000, burst_count: 1000000}'
  cat <<EOF
# Rate limits raised for tests (TNL_STACK_REAL_RATE_LIMITS=1 keeps Synapse's defaults).
rc_message: $r
rc_registration: $r
rc_registration_token_validity: $r
rc_login: {address: $r, account: $r, failed_attempts: $r}
rc_admin_redaction: $r
rc_joins: {local: $r, remote: $r}
rc_joins_per_room: $r
rc_3pid_validation: $r
rc_invites: {per_room: $r, per_user: $r, per_issuer: $r}
rc_third_party_invite: $r
rc_media_create: $r
rc_presence: {per_user: $r}
rc_delayed_event_mgmt: $r
rc_room_creation: $r
rc_reports: $r
rc_user_directory: $r
rc_key_requests: $r
rc_federation: {window_size: 1000, sleep_limit: 100000, sleep_delay: 1, reject_limit: 100000, concurrent: 100000}
EOF
}

write_synapse_config() {
  local root=$1 dir=$STATE/synapse
  mkdir -p "$dir/media_store"
  cat >"$dir/homeserver.yaml" <<EOF
# Generated by scripts/stack.sh at each start: edit the script, not this file.
server_name: "localhost"
public_baseurl: "http://127.0.0.1:$SYNAPSE_PORT/"
pid_file: $INNER/synapse/homeserver.pid
listeners:
  - port: $SYNAPSE_PORT
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: $INNER/synapse/homeserver.db
log_config: $INNER/synapse/log.config
media_store_path: $INNER/synapse/media_store
signing_key_path: $INNER/synapse/localhost.signing.key
registration_shared_secret: "$REGISTRATION_SECRET"
macaroon_secret_key: "$MACAROON_SECRET"
form_secret: "$FORM_SECRET"
enable_registration: false
report_stats: false
enable_metrics: false
# No federation and no outside key servers.
federation_domain_whitelist: []
trusted_key_servers: []
suppress_key_server_warning: true
allow_public_rooms_over_federation: false
url_preview_enabled: false
# Presence is not used by the bot and only adds noise to /sync.
presence:
  enabled: false
max_upload_size: 50M
$(rate_limits)
EOF
  cat >"$dir/log.config" <<'EOF'
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: precise
loggers:
  synapse.storage.SQL:
    level: INFO
root:
  level: INFO
  handlers: [console]
disable_existing_loggers: false
EOF
  chown -R "$(chroot_uid "$root" matrix-synapse)" "$dir"
  if [[ ! -f $dir/localhost.signing.key ]]; then
    in_chroot matrix-synapse:nogroup python3 -m synapse.app.homeserver \
      -c "$INNER/synapse/homeserver.yaml" --generate-keys >>"$LOGS/synapse.log" 2>&1 || {
      log_tail "$LOGS/synapse.log"
      die "generating the Synapse signing key failed"
    }
  fi
}

write_pg_config() {
  local root=$1 data=$STATE/pg/data owner
  owner=$(chroot_uid "$root" postgres)
  mkdir -p "$STATE/pg/socket"
  chown "$owner" "$STATE/pg" "$STATE/pg/socket"
  if [[ ! -f $data/PG_VERSION ]]; then
    rm -rf "$data"
    mkdir -p "$data"
    chown "$owner" "$data"
    chmod 700 "$data"
    in_chroot postgres:postgres "$PG_BIN/initdb" -D "$INNER/pg/data" -U postgres \
      --auth=trust -E UTF8 --locale=C.UTF-8 >>"$LOGS/postgres.log" 2>&1 || {
      log_tail "$LOGS/postgres.log"
      die "initdb failed"
    }
  fi
  cat >"$data/tnl-stack.conf" <<EOF
# Generated by scripts/stack.sh at each start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$INNER/pg/socket'
shared_preload_libraries = 'pg_cron,pg_documentdb_core,pg_documentdb'
cron.database_name = '$PG_DB'
# DocumentDB's index job runs every few seconds; do not log each run.
cron.log_run = off
cron.log_statement = off
# No /dev/shm mount in the chroot.
dynamic_shared_memory_type = mmap
# Throw-away test data: durability is not worth the disk flushes.
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
  cat >"$data/pg_hba.conf" <<'EOF'
# Generated by scripts/stack.sh: trust on the local socket and loopback only.
local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
EOF
  grep -q "^include_if_exists = 'tnl-stack.conf'" "$data/postgresql.conf" ||
    printf "\ninclude_if_exists = 'tnl-stack.conf'\n" >>"$data/postgresql.conf"
  chown "$owner" "$data/tnl-stack.conf" "$data/pg_hba.conf"
}

# ---------------------------------------------------------------------------------------------
# Services

# Alive and not a zombie (its command line may still be the one before exec).
alive() { [[ -r /proc/$1/stat ]] && ! awk '{ exit !($3 == "Z") }' "/proc/$1/stat" 2>/dev/null; }

wait_for() {
  local what=$1 check=$2 pid=$3 log=$4 waited=0
  while ! $check; do
    if ! alive "$pid"; then
      log_tail "$log"
      die "$what exited while starting (see the log above, full log $log)"
    fi
    if ((waited >= START_TIMEOUT * 5)); then
      log_tail "$log"
      die "$what not ready after ${START_TIMEOUT} s (see the log above, full log $log)"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}

rotate_log() { [[ -f $1 ]] && mv -f "$1" "$1.1" || true; }

synapse_ready() { http_ok "$SYNAPSE_PORT" /_matrix/client/versions; }
postgres_ready() { in_chroot postgres:postgres "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d "$PG_DB"; }
gateway_ready() { port_open "$GATEWAY_PORT"; }

start_postgres() {
  local root=$1
  if postgres_pid >/dev/null; then
    return
  fi
  port_open "$PG_PORT" && die "port $PG_PORT is taken by another program; set TNL_STACK_PG_PORT"
  write_pg_config "$root"
  # After a crash, let the old postmaster and its backends finish dying (a zombie still counts as
  # running for PostgreSQL's lock file check).
  local old waited=0
  old=$(head -n1 "$STATE/pg/data/postmaster.pid" 2>/dev/null | tr -dc 0-9) || true
  while [[ -n $old && -e /proc/$old ]] && ((waited < 100)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  rotate_log "$LOGS/postgres.log"
  say "starting PostgreSQL 18 + DocumentDB on 127.0.0.1:$PG_PORT"
  setsid chroot --userspec=postgres:postgres "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    "$PG_BIN/postgres" -D "$INNER/pg/data" </dev/null >>"$LOGS/postgres.log" 2>&1 {lock}>&- &
  local pid=$!
  waited=0
  # postmaster.pid appears once the server has started its startup.
  while ! postgres_pid >/dev/null; do
    if ! alive "$pid" || ((waited > START_TIMEOUT * 5)); then
      log_tail "$LOGS/postgres.log"
      die "PostgreSQL did not start (see the log above)"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  wait_for PostgreSQL postgres_ready "$pid" "$LOGS/postgres.log"
  printf '%s\n' "$pid" >"$RUN/postgres.pid"
  in_chroot postgres:postgres "$PG_BIN/psql" -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" \
    -c 'CREATE EXTENSION IF NOT EXISTS documentdb CASCADE' >>"$LOGS/postgres.log" 2>&1 || {
    log_tail "$LOGS/postgres.log"
    die "CREATE EXTENSION documentdb failed (see above)"
  }
}

start_synapse() {
  local root=$1
  if synapse_pid >/dev/null; then
    return
  fi
  port_open "$SYNAPSE_PORT" && die "port $SYNAPSE_PORT is taken by another program; set TNL_STACK_SYNAPSE_PORT"
  rotate_log "$LOGS/synapse.log"
  write_synapse_config "$root"
  say "starting Synapse on http://127.0.0.1:$SYNAPSE_PORT"
  setsid chroot --userspec=matrix-synapse:nogroup "$root" /usr/bin/env -i PATH=/usr/bin:/bin \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=/tmp \
    python3 -m synapse.app.homeserver -c "$INNER/synapse/homeserver.yaml" \
    </dev/null >>"$LOGS/synapse.log" 2>&1 {lock}>&- &
  local pid=$!
  printf '%s\n' "$pid" >"$RUN/synapse.pid"
  wait_for Synapse synapse_ready "$pid" "$LOGS/synapse.log"
}

start_gateway() {
  if gateway_pid >/dev/null; then
    return
  fi
  local main=$ROOT_DIR/scripts/docdb-gateway/main.ts node=$ROOT_DIR/node_modules/.bin/node
  if [[ ! -f $main ]]; then
    warn "$main does not exist yet: the MongoDB gateway is not started, TNL_MONGODB_URI will not answer"
    return
  fi
  [[ -x $node ]] || die "$node is missing: run 'npm ci' first (the gateway needs Node 24)"
  port_open "$GATEWAY_PORT" && die "port $GATEWAY_PORT is taken by another program; set TNL_STACK_GATEWAY_PORT"
  rotate_log "$LOGS/gateway.log"
  say "starting the MongoDB wire-protocol gateway on 127.0.0.1:$GATEWAY_PORT"
  (cd "$ROOT_DIR" && exec setsid "$node" scripts/docdb-gateway/main.ts --port "$GATEWAY_PORT" \
    --pg-url "$(pg_url)" </dev/null >>"$LOGS/gateway.log" 2>&1 {lock}>&-) &
  local pid=$!
  printf '%s\n' "$pid" >"$RUN/gateway.pid"
  START_TIMEOUT=30 wait_for "the gateway" gateway_ready "$pid" "$LOGS/gateway.log"
}

pg_url() { printf 'postgresql://postgres@127.0.0.1:%s/%s' "$PG_PORT" "$PG_DB"; }

write_env() {
  {
    # Single quotes: the values never contain one, and test/global-setup.ts parses these lines.
    printf "export TNL_HOMESERVER_URL='%s'\n" "http://127.0.0.1:$SYNAPSE_PORT"
    printf "export TNL_REGISTRATION_SECRET='%s'\n" "$REGISTRATION_SECRET"
    printf "export TNL_MONGODB_URI='%s'\n" "mongodb://127.0.0.1:$GATEWAY_PORT/?directConnection=true"
    printf "export TNL_PG_URL='%s'\n" "$(pg_url)"
  } >"$RUN/env.tmp"
  mv "$RUN/env.tmp" "$RUN/env"
}

# The ports of a running stack win over the environment: they are what `env` must print.
load_running_ports() {
  [[ -f $RUN/ports ]] || return 0
  local s p g limits
  read -r s p g limits <"$RUN/ports"
  if synapse_pid >/dev/null || postgres_pid >/dev/null || gateway_pid >/dev/null; then
    [[ ${limits:-raised} == "$(limits_mode)" ]] ||
      warn "Synapse runs with $limits rate limits; run 'down' then 'up' to switch to $(limits_mode) ones"
    if [[ $s != "$SYNAPSE_PORT" || $p != "$PG_PORT" || $g != "$GATEWAY_PORT" ]] &&
      [[ -n ${TNL_STACK_SYNAPSE_PORT:-}${TNL_STACK_PG_PORT:-}${TNL_STACK_GATEWAY_PORT:-} ]]; then
      warn "the stack already runs with ports $s/$p/$g (synapse/postgres/gateway); run 'down' to change them"
    fi
    SYNAPSE_PORT=$s PG_PORT=$p GATEWAY_PORT=$g
  fi
}

cmd_up() {
  need_root up
  mkdir -p "$LOGS" "$RUN"
  local lock
  exec {lock}>"$STATE/.lock"
  flock "$lock"
  load_running_ports
  ensure_secrets
  local root
  if synapse_pid >/dev/null || postgres_pid >/dev/null; then
    root=$(chroot_in_use)
  else
    build_chroot
    root=$CHROOT
  fi
  [[ -f $root/.tnl-stack-ready ]] || die "chroot $root is not complete; run 'down' then 'up'"
  mount_runtime "$root"
  printf '%s %s %s %s\n' "$SYNAPSE_PORT" "$PG_PORT" "$GATEWAY_PORT" "$(limits_mode)" >"$RUN/ports"
  start_postgres "$root"
  start_synapse "$root"
  start_gateway
  write_env
  say "up: Synapse $(synapse_pid), PostgreSQL $(postgres_pid), gateway $(gateway_pid || echo 'not running')"
  cat "$RUN/env"
}

cmd_down() {
  need_root down
  [[ -d $STATE ]] || {
    say "nothing to stop"
    return
  }
  mkdir -p "$RUN"
  local lock pid
  exec {lock}>"$STATE/.lock"
  flock "$lock"
  if pid=$(gateway_pid); then
    say "stopping the gateway (pid $pid)"
    stop_pid "$pid" gateway
  fi
  if pid=$(synapse_pid); then
    say "stopping Synapse (pid $pid)"
    stop_pid "$pid" Synapse
  fi
  if pid=$(postgres_pid); then
    say "stopping PostgreSQL (pid $pid)"
    stop_pid "$pid" PostgreSQL INT # fast shutdown
  fi
  rm -f "$RUN/synapse.pid" "$RUN/gateway.pid" "$RUN/postgres.pid" "$RUN/env"
  unmount_runtime "$(chroot_in_use)"
  say "down"
}

cmd_status() {
  local all=0 pid
  load_running_ports
  say "chroot: $(chroot_in_use) $([[ -f $(chroot_in_use)/.tnl-stack-ready ]] && echo '(built)' || echo '(not built yet)')"
  if pid=$(synapse_pid); then
    say "synapse: running, pid $pid, http://127.0.0.1:$SYNAPSE_PORT $(synapse_ready && echo '(ready)' || echo '(not answering)')"
  else
    say "synapse: stopped"
    all=1
  fi
  if pid=$(postgres_pid); then
    say "postgres: running, pid $pid, $(pg_url)"
  else
    say "postgres: stopped"
    all=1
  fi
  if pid=$(gateway_pid); then
    say "gateway: running, pid $pid, mongodb://127.0.0.1:$GATEWAY_PORT $(gateway_ready && echo '(ready)' || echo '(not answering)')"
  else
    say "gateway: stopped"
    all=1
  fi
  return "$all"
}

cmd_env() {
  if [[ -f $RUN/env ]] && synapse_pid >/dev/null && postgres_pid >/dev/null; then
    cat "$RUN/env"
  else
    die "the stack is not running; start it with: bash scripts/stack.sh up"
  fi
}

# Fault injection for tests: a restart keeps every piece of data, only the processes go.
restart_pause() {
  local pause=${1:-0}
  [[ $pause =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SECONDS must be a number (got '$pause')"
  printf '%s' "$pause"
}

cmd_restart_db() {
  need_root restart-db
  local pause pid root lock
  pause=$(restart_pause "${1:-}")
  mkdir -p "$LOGS" "$RUN"
  exec {lock}>"$STATE/.lock"
  flock "$lock"
  load_running_ports
  pid=$(postgres_pid) || die "PostgreSQL is not running; start the stack with: bash scripts/stack.sh up"
  root=$(chroot_in_use)
  local gateway
  if gateway=$(gateway_pid); then
    say "restart-db: stopping the gateway (pid $gateway)"
    stop_pid "$gateway" gateway
  fi
  say "restart-db: stopping PostgreSQL (pid $pid, fast shutdown)"
  stop_pid "$pid" PostgreSQL INT
  rm -f "$RUN/gateway.pid" "$RUN/postgres.pid"
  sleep "$pause"
  start_postgres "$root"
  start_gateway
  say "restart-db: PostgreSQL $(postgres_pid), gateway $(gateway_pid || echo 'not running')"
}

cmd_restart_synapse() {
  need_root restart-synapse
  local pause pid root lock
  pause=$(restart_pause "${1:-}")
  mkdir -p "$LOGS" "$RUN"
  exec {lock}>"$STATE/.lock"
  flock "$lock"
  load_running_ports
  ensure_secrets
  pid=$(synapse_pid) || die "Synapse is not running; start the stack with: bash scripts/stack.sh up"
  root=$(chroot_in_use)
  say "restart-synapse: stopping Synapse (pid $pid)"
  stop_pid "$pid" Synapse
  rm -f "$RUN/synapse.pid"
  sleep "$pause"
  start_synapse "$root"
  say "restart-synapse: Synapse $(synapse_pid)"
}

case ${1:-help} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
restart-db) cmd_restart_db "${2:-}" ;;
restart-synapse) cmd_restart_synapse "${2:-}" ;;
help | -h | --help) usage ;;
*)
  usage >&2
  exit 2
  ;;
esac
