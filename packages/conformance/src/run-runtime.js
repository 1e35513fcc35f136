/**
 * The Node host of the conformance suite: `node src/run-runtime.js <runtime>` starts the
 * loopback servers (packages/client/test/helpers/stack.ts), runs the suite on one runtime
 * (node22, node24, bun, deno, workerd or chromium), prints `<runtime>: N passed, N failed`
 * with every failure, writes .test-results/conformance/<runtime>.json at the repo root, and
 * exits 1 on any failure, on a runtime that is missing, or on one that does not answer.
 *
 * The runtimes come from scripts/bootstrap.sh (cs_ensure_runtimes): `bun`, `deno` and
 * `workerd` on PATH, Node 22 at CS_NODE22.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runBrowser } from './host-chromium.js'
import { runCommand } from './host-command.js'
import { runWorkerd } from './host-workerd.js'
import { RUNTIMES } from './packages.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))

const runtime = process.argv[2]
if (!RUNTIMES.includes(runtime)) {
  console.error(`usage: node src/run-runtime.js ${RUNTIMES.join('|')}`)
  process.exit(2)
}

/** The loopback servers every runtime's network tests talk to. */
async function startServers() {
  const { startStack, AUDIENCE, ICYPEAS, ISSUER, PLAIN_API_KEY } = await import(
    '../../client/test/helpers/stack.ts'
  )
  const stack = await startStack()
  // The JWKS is also served from the page origin, so Chromium reads it without CORS.
  const jwks = await (await fetch(`${stack.tokens.url}/.well-known/jwks.json`)).text()
  stack.web.assets.set('/jwks.json', { type: 'application/json', body: jwks })
  const net = {
    webUrl: stack.web.url,
    relayUrl: stack.relay.url,
    apiUrl: stack.api.url,
    protectedUrl: stack.protected.url,
    jwksUrl: `${stack.web.url}/jwks.json`,
    issuer: ISSUER,
    audience: AUDIENCE,
    icypeas: ICYPEAS,
    plainApiKey: PLAIN_API_KEY,
  }
  return { stack, net }
}

async function run(net, stack) {
  if (runtime === 'chromium') {
    return runBrowser(net, stack)
  }
  if (runtime === 'workerd') {
    return runWorkerd(net)
  }
  return runCommand(runtime, net)
}

const started = performance.now()
const { stack, net } = await startServers()
let outcome
try {
  outcome = await run(net, stack)
} catch (error) {
  outcome = {
    results: [
      {
        name: 'the runtime runs the suite',
        packages: [],
        ok: false,
        error: String(error?.stack ?? error),
      },
    ],
  }
} finally {
  await stack.close()
}

const failed = outcome.results.filter((r) => !r.ok)
for (const r of failed) {
  console.log(`  ✘ ${r.name}\n    ${r.error.split('\n').slice(0, 6).join('\n    ')}`)
}
for (const note of outcome.notes ?? []) {
  console.log(`  note: ${note}`)
}
mkdirSync(`${root}/.test-results/conformance`, { recursive: true })
writeFileSync(
  `${root}/.test-results/conformance/${runtime}.json`,
  JSON.stringify({ runtime, ...outcome }, null, 2),
)
const seconds = ((performance.now() - started) / 1000).toFixed(1)
const passed = outcome.results.length - failed.length
console.log(`${runtime}: ${passed} passed, ${failed.length} failed (${seconds} s)`)
process.exit(failed.length === 0 && passed > 0 ? 0 : 1)
