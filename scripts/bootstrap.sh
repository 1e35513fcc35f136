#!/usr/bin/env bash
# Sourced by scripts/run.sh and .ci/run. Makes sure this shell has Node >= 22.13 and the pinned
# pnpm, installing both from the npm registry into a cache folder when they are missing.
# Nothing here needs anything but npm and the npm registry (corepack fails on these machines).

CS_NODE_VERSION="${CS_NODE_VERSION:-24.21.0}"
# The other runtimes the conformance suite runs on (packages/conformance), pinned, from npm.
CS_NODE22_VERSION="${CS_NODE22_VERSION:-22.23.3}"
CS_BUN_VERSION="${CS_BUN_VERSION:-1.4.5}"
CS_DENO_VERSION="${CS_DENO_VERSION:-2.9.6}"
CS_WORKERD_VERSION="${CS_WORKERD_VERSION:-1.20261123.1}"
CS_PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../package.json")"
CS_TOOLS="${CS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/countersign-tools}"
export TURBO_TELEMETRY_DISABLED=1

cs_log() { printf '\033[1m[countersign]\033[0m %s\n' "$*" >&2; }

cs_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=13)?0:1)'
}

cs_ensure_node() {
  if cs_node_ok; then return 0; fi
  local dir="$CS_TOOLS/node-$CS_NODE_VERSION"
  if [ ! -x "$dir/node_modules/node/bin/node" ]; then
    cs_log "node $(node --version 2>/dev/null || echo missing) is older than 22.13: installing Node $CS_NODE_VERSION from the npm registry into $dir"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "node@$CS_NODE_VERSION" >/dev/null) || {
      cs_log "could not install node@$CS_NODE_VERSION"; return 1; }
  fi
  export PATH="$dir/node_modules/node/bin:$PATH"
  cs_node_ok || { cs_log "node in $dir does not run"; return 1; }
}

cs_ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$CS_PNPM_VERSION" ]; then return 0; fi
  local dir="$CS_TOOLS/pnpm-$CS_PNPM_VERSION"
  if [ ! -x "$dir/node_modules/.bin/pnpm" ]; then
    cs_log "installing pnpm $CS_PNPM_VERSION with npm into $dir"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "pnpm@$CS_PNPM_VERSION" >/dev/null) || {
      cs_log "could not install pnpm@$CS_PNPM_VERSION"; return 1; }
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}

cs_npm_tool() {
  # Installs npm package <name>@<version> into $CS_TOOLS/<name>-<version> once; prints the folder.
  local name="$1" version="$2" dir="$CS_TOOLS/$1-$2"
  if [ ! -f "$dir/.installed" ]; then
    cs_log "installing $name@$version from the npm registry into $dir"
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$name@$version" >/dev/null) || {
      cs_log "could not install $name@$version"; return 1; }
    touch "$dir/.installed"
  fi
  printf '%s\n' "$dir"
}

cs_ensure_runtimes() {
  # Bun, Deno and workerd on PATH, and Node 22 at CS_NODE22, each at its pinned version: the
  # npm packages ship the binaries. Fails, saying which, when one does not install or run.
  local dir
  dir="$(cs_npm_tool bun "$CS_BUN_VERSION")" || return 1
  export PATH="$dir/node_modules/.bin:$PATH"
  dir="$(cs_npm_tool deno "$CS_DENO_VERSION")" || return 1
  export PATH="$dir/node_modules/.bin:$PATH"
  dir="$(cs_npm_tool workerd "$CS_WORKERD_VERSION")" || return 1
  export PATH="$dir/node_modules/.bin:$PATH"
  dir="$(cs_npm_tool node "$CS_NODE22_VERSION")" || return 1
  export CS_NODE22="$dir/node_modules/node/bin/node"
  [ "$(bun --version 2>/dev/null)" = "$CS_BUN_VERSION" ] || { cs_log "bun $CS_BUN_VERSION does not run"; return 1; }
  deno --version 2>/dev/null | grep -q "^deno $CS_DENO_VERSION " || { cs_log "deno $CS_DENO_VERSION does not run"; return 1; }
  workerd --version 2>/dev/null | grep -q "^workerd ${CS_WORKERD_VERSION:2:4}-${CS_WORKERD_VERSION:6:2}-${CS_WORKERD_VERSION:8:2}" || { cs_log "workerd $CS_WORKERD_VERSION does not run"; return 1; }
  [ "$("$CS_NODE22" --version 2>/dev/null)" = "v$CS_NODE22_VERSION" ] || { cs_log "node $CS_NODE22_VERSION does not run"; return 1; }
}

cs_apt_install() {
  # Installs Debian packages (root only), running apt-get update once per shell.
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    cs_log "cannot install $* (need root and apt-get)"; return 1
  fi
  if [ -z "${CS_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    CS_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

cs_ensure_redis() {
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
  if command -v redis-cli >/dev/null 2>&1 && redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then return 0; fi
  command -v redis-server >/dev/null 2>&1 || { cs_log "installing redis-server"; cs_apt_install redis-server redis-tools || return 1; }
  cs_log "starting redis-server on 127.0.0.1:6379"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 ||
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  cs_log "redis did not come up"; return 1
}

cs_ensure_cluster_tools() {
  # redis-server and redis-cli (a Redis Cluster is started by the scale tests themselves) and
  # HAProxy (the balancer in front of the services), from Debian's packages when missing.
  # Debian puts haproxy in /usr/sbin, which a minimal PATH may leave out.
  case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH="$PATH:/usr/sbin:/sbin" ;; esac
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  [ ${#missing[@]} -eq 0 ] && return 0
  cs_log "installing ${missing[*]} from Debian's packages"
  cs_apt_install "${missing[@]}"
}

cs_ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then return 0; fi
  if ! command -v chromium >/dev/null 2>&1; then
    cs_log "installing chromium from Debian's packages"
    cs_apt_install chromium || return 1
  fi
  export CHROMIUM_PATH="$(command -v chromium)"
}

cs_ensure_python() {
  # A python3 with `cryptography`, for the Python reference verifier's tests.
  local py
  for py in "${PYTHON:-}" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import cryptography' >/dev/null 2>&1; then
      PYTHON="$(command -v "$py")"; export PYTHON; return 0
    fi
  done
  cs_log "installing python3-cryptography from Debian's packages"
  cs_apt_install python3 python3-cryptography || return 1
  PYTHON=/usr/bin/python3; export PYTHON
}

cs_install_deps() {
  if [ -n "${CI:-}" ]; then
    pnpm install --frozen-lockfile
  else
    pnpm install --frozen-lockfile --prefer-offline
  fi
}
