/**
 * Core's two crypto backends side by side on whatever runtime runs this file (Node, Bun, Deno):
 * key-level sign and verify, and a whole signRequest + verifyRequest round, for each algorithm,
 * in interleaved rounds, printing operations per second and the node/web ratio (> 1: the
 * node:crypto backend is faster). Plain ESM so every runtime runs it as is:
 *
 *   node bench/src/runtime-backends.mjs
 *   bun bench/src/runtime-backends.mjs
 *   deno run -A bench/src/runtime-backends.mjs
 *
 * Reports; never gates. Decision 29 and core's README record the numbers.
 */
import {
  createMemoryStore,
  cryptoBackendName,
  generateKeyPair,
  webBackend,
} from '@countersign/core'
import { signRequest } from '@countersign/signer'
import { verifyRequest } from '@countersign/verifier'

const runtime =
  typeof globalThis.Bun !== 'undefined'
    ? `bun ${globalThis.Bun.version}`
    : typeof globalThis.Deno !== 'undefined'
      ? `deno ${globalThis.Deno.version.deno}`
      : `node ${globalThis.process.versions.node}`
const ROUNDS = Number(globalThis.process?.env?.ROUNDS ?? 5)
const TIME_MS = Number(globalThis.process?.env?.TIME_MS ?? 150)
const ALGORITHMS = ['ed25519', 'ecdsa-p256-sha256', 'hmac-sha256', 'rsa-pss-sha512']

if (cryptoBackendName !== 'node') {
  throw new Error(
    `@countersign/core resolved to the ${cryptoBackendName} backend here: run this with the node condition`,
  )
}

async function keysFor(backend, algorithm) {
  const make = backend === 'node' ? generateKeyPair : webBackend.generateKeyPair
  const pair = await make(algorithm, { keyId: `${backend}-${algorithm}` })
  return { sign: pair.privateKey, verify: pair.publicKey }
}

/** Runs `fn` for TIME_MS and answers operations per second. */
async function measure(fn) {
  let count = 0
  const end = performance.now() + TIME_MS
  const start = performance.now()
  while (performance.now() < end) {
    await fn()
    count++
  }
  return (count * 1000) / (performance.now() - start)
}

function cases(keys) {
  const data = new TextEncoder().encode('@method: POST\n@target-uri: https://api.example.com/x')
  let signature
  return {
    sign: async () => {
      signature = await keys.sign.sign(data)
    },
    verify: async () => {
      signature ??= await keys.sign.sign(data)
      if (!(await keys.verify.verify(data, signature))) {
        throw new Error('verify failed')
      }
    },
    'sign+verify request': async () => {
      const signed = await signRequest(
        new Request('https://api.example.com/orders', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"sku":"A-1","qty":2}',
        }),
        { key: keys.sign },
      )
      await verifyRequest(signed, { keys: () => keys.verify, nonceStore: createMemoryStore() })
    },
  }
}

const rows = []
for (const algorithm of ALGORITHMS) {
  const node = cases(await keysFor('node', algorithm))
  const web = cases(await keysFor('web', algorithm))
  for (const name of Object.keys(node)) {
    const totals = { node: 0, web: 0 }
    await measure(node[name])
    await measure(web[name])
    for (let round = 0; round < ROUNDS; round++) {
      totals.node += await measure(node[name])
      totals.web += await measure(web[name])
    }
    rows.push({
      case: `${algorithm} ${name}`,
      node: Math.round(totals.node / ROUNDS),
      web: Math.round(totals.web / ROUNDS),
      ratio: (totals.node / totals.web).toFixed(2),
    })
  }
}

console.log(`${runtime}: ops/s of core's backends, ${ROUNDS} rounds × ${TIME_MS} ms`)
console.log('| case | node:crypto | Web Crypto | node/web |')
console.log('| --- | ---: | ---: | ---: |')
for (const row of rows) {
  console.log(`| ${row.case} | ${row.node} | ${row.web} | ${row.ratio} |`)
}
