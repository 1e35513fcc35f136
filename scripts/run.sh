#!/usr/bin/env bash
# The README's two commands: `bash scripts/run.sh demo` and `bash scripts/run.sh test`.
# On a fresh machine this installs Node 24 and pnpm when needed, the workspace's dependencies,
# and the services the tests use, then runs `pnpm demo` or `pnpm test:all`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh

what="${1:-}"
case "$what" in
  demo | test) ;;
  *) echo "usage: bash scripts/run.sh demo|test" >&2; exit 2 ;;
esac

cs_ensure_node
cs_ensure_pnpm
cs_install_deps
if [ "$what" = demo ]; then
  cs_ensure_python || true
  exec pnpm demo
fi
cs_ensure_redis
cs_ensure_python
cs_ensure_chromium
cs_ensure_runtimes
exec pnpm test:all
