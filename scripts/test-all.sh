#!/usr/bin/env bash
# `pnpm test:all`: every gate the project has, in one run. Each step runs even if an earlier one
# failed, so one run shows everything that is wrong; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
results_dir=".test-results"
rm -rf "$results_dir" && mkdir -p "$results_dir"

passed_steps=0
failed_steps=()
step() {
  local name="$1"
  shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  if "$@"; then
    passed_steps=$((passed_steps + 1))
  else
    failed_steps+=("$name")
  fi
}

step "lint (biome)" pnpm exec biome check . --error-on-warnings
step "build" pnpm exec turbo run build --filter='./packages/*' --output-logs=errors-only
step "typecheck" pnpm exec turbo run typecheck --concurrency=2 --output-logs=errors-only
step "unit and integration tests (vitest)" pnpm exec turbo run test --concurrency=1 --continue
step "package checks (publint --strict, attw esm-only)" pnpm exec turbo run lint:package --filter='./packages/*' --concurrency=2 --output-logs=errors-only
step "API reference and docs site (typedoc, vitepress, zero warnings, links)" pnpm run docs
step "docs site in Chromium (desktop and phone, screenshots in .test-results/screenshots)" pnpm --filter @countersign/docs run test:site
# Bun, Deno, workerd and Node 22, pinned from the npm registry (scripts/bootstrap.sh): for the
# Deno, Bun and Worker examples and the conformance suite.
. scripts/bootstrap.sh
step "runtimes (bun, deno, workerd, node 22)" cs_ensure_runtimes
# Redis Cluster (3 masters, 3 replicas), HAProxy, 3 relays and 2 token services, started and
# stopped by the tests (packages/scale): the multi-instance and fault tests.
step "scale: multi-instance and fault tests on Redis Cluster" bash -c '. scripts/bootstrap.sh && cs_ensure_cluster_tools && pnpm --filter @countersign/scale test:scale'
if ls examples/*/package.json >/dev/null 2>&1; then
  step "examples end to end" pnpm exec turbo run test:e2e --filter='./examples/*' --concurrency=1
fi
# The conformance suite (packages/conformance) on every runtime the README claims, one step each.
for runtime in node22 node24 bun deno workerd chromium; do
  step "conformance suite on $runtime" node packages/conformance/src/run-runtime.js "$runtime"
done
if [ -d python ]; then
  step "python reference verifier" bash -c 'cd python && "${PYTHON:-python3}" -m unittest discover -v -s tests -t .'
fi

# Sum the Vitest results each package wrote (see packages/*/vitest.config.ts).
node scripts/summarise-tests.mjs "$results_dir"
node packages/conformance/src/summary.js "$results_dir"

echo
if [ ${#failed_steps[@]} -eq 0 ]; then
  echo "test:all: all $passed_steps steps passed"
  exit 0
fi
echo "test:all: ${#failed_steps[@]} of $((passed_steps + ${#failed_steps[@]})) steps failed:"
printf '  - %s\n' "${failed_steps[@]}"
exit 1
