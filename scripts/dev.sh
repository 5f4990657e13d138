#!/usr/bin/env bash
# `npm run dev` and `npm run demo`: what a newcomer needs to try the bot on this machine.
# Works before node_modules exists (it installs it), then starts the local stack
# (scripts/stack.sh), then hands over to scripts/dev.ts (accounts, rooms, config, the bot).
# Ctrl-C stops the bot, and the stack too when this script started it.
set -uo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT_DIR" || exit 1
NODE=$ROOT_DIR/node_modules/.bin/node

say() { printf 'dev: %s\n' "$*" >&2; }
fail() {
  printf 'dev: error: %s\n' "$1" >&2
  shift
  for hint in "$@"; do printf 'dev:   -> %s\n' "$hint" >&2; done
  exit 1
}

# 1. Dependencies. npm ci replaces node_modules wholesale: only when it is missing or older
#    than the lock file (npm writes node_modules/.package-lock.json at each install).
needs_install() {
  [[ ! -x $NODE ]] && return 0
  [[ ! -f node_modules/.package-lock.json ]] && return 0
  [[ package-lock.json -nt node_modules/.package-lock.json ]]
}
if needs_install; then
  command -v npm >/dev/null ||
    fail "npm is not installed" "install Node.js with npm (any recent version: npm then installs Node 24 for the project)"
  if [[ -x $NODE ]]; then
    say "package-lock.json changed since the last install: reinstalling dependencies (npm ci)"
  else
    say "installing dependencies (npm ci; a minute or two the first time)"
  fi
  npm ci --no-audit --no-fund >&2 ||
    fail "npm ci failed (see npm's messages above)" \
      "check the network access to the npm registry, then run npm run dev again"
  [[ -x $NODE ]] || fail "npm ci did not install Node 24 in node_modules/.bin/node" "run npm ci by hand and read its output"
fi
say "Node $("$NODE" --version) from node_modules/.bin/node"

# 2. The local stack: Synapse, PostgreSQL + DocumentDB and the MongoDB gateway.
STARTED_STACK=0
if bash scripts/stack.sh status >/dev/null 2>&1; then
  say "the local stack already runs: using it (it keeps running when dev stops)"
  ENV_LINES=$(bash scripts/stack.sh env) || fail "could not read the running stack's settings" "run: bash scripts/stack.sh status"
else
  if [[ $(id -u) != 0 ]]; then
    fail "starting the local stack needs root: it builds and runs the local homeserver and database in a Debian chroot (debootstrap, chroot, mount)" \
      "run: sudo npm run dev"
  fi
  say "starting the local stack (Synapse, PostgreSQL + DocumentDB); the first time it builds a Debian chroot: a few minutes"
  if ! ENV_LINES=$(bash scripts/stack.sh up); then
    fail "the local stack did not start (see the stack messages above)" \
      "the first build needs network access to the Debian mirror configured in /etc/apt (or set TNL_STACK_MIRROR)" \
      "a port already in use can be changed with TNL_STACK_SYNAPSE_PORT, TNL_STACK_PG_PORT, TNL_STACK_GATEWAY_PORT" \
      "logs are in .stack/logs/; bash scripts/stack.sh status says what runs"
  fi
  STARTED_STACK=1
fi
eval "$ENV_LINES"
export TNL_HOMESERVER_URL TNL_REGISTRATION_SECRET TNL_MONGODB_URI

stop_stack() {
  if ((STARTED_STACK)); then
    say "stopping the local stack (dev started it)"
    bash scripts/stack.sh down || say "stopping the stack failed: run bash scripts/stack.sh down"
  fi
}

# 3. `npm run dev`: accounts, rooms, config and the bot (scripts/dev.ts), until Ctrl-C.
#    `npm run demo` (bash scripts/dev.sh demo): a whole campaign played by scripts/demo.ts.
#    In a terminal, Ctrl-C reaches dev.ts directly (same process group); a signal sent to this
#    script alone is passed on. dev.ts stops the bot, then this script stops the stack.
PROGRAM=scripts/dev.ts
if [[ ${1:-} == demo ]]; then
  PROGRAM=scripts/demo.ts
  shift
fi
"$NODE" "$PROGRAM" "$@" &
DEV_PID=$!
forward() { kill "-$1" "$DEV_PID" 2>/dev/null || true; }
trap 'forward INT' INT
trap 'forward TERM' TERM
trap 'forward HUP' HUP
# `wait` returns early when a trap runs: wait again until dev.ts has really exited.
while kill -0 "$DEV_PID" 2>/dev/null; do
  wait "$DEV_PID"
done
wait "$DEV_PID"
STATUS=$?
trap - INT TERM HUP
stop_stack
exit "$STATUS"
