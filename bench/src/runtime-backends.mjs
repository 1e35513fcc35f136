/**
 * Core's two crypto backends side by side on whatever runtime runs this file (Node, Bun, Deno):
 * sign and verify with keys of each backend, and a SHA-256 digest of 1 KiB, for each algorithm,
 * in interleaved rounds, printing operations per second and the node/web ratio (> 1: the
 * node:crypto backend is faster). Plain ESM so every runtime runs it as is:
 *
 *   node bench/src/runtime-backends.mjs
 *   bun bench/src/runtime-backends.mjs
 *   deno run -A bench/src/runtime-backends.mjs
 *
 * Reports; never gates. Decision 29 and core's README record the numbers.
 */
// The node build by path: on Deno the package's `deno` condition picks the Web Crypto build.
import { digest, generateKeyPair, importKey, webBackend } from '../../packages/core/dist/node.js'

const runtime =
  typeof globalThis.Bun !== 'undefined'
    ? `bun ${globalThis.Bun.version}`
    : typeof globalThis.Deno !== 'undefined'
      ? `deno ${globalThis.Deno.version.deno}`
      : `node ${globalThis.process.versions.node}`
const env = (name, fallback) => Number(globalThis.process?.env?.[name] ?? fallback)
const ROUNDS = env('ROUNDS', 5)
const TIME_MS = env('TIME_MS', 150)
const ALGORITHMS = ['ed25519', 'ecdsa-p256-sha256', 'hmac-sha256', 'rsa-pss-sha512']
const BACKENDS = {
  node: { generateKeyPair, importKey, digest },
  web: webBackend,
}

async function keysFor(backend, algorithm) {
  const keyId = `${backend}-${algorithm}`
  const api = BACKENDS[backend]
  if (algorithm.startsWith('hmac-')) {
    const key = await api.importKey(crypto.getRandomValues(new Uint8Array(32)), {
      algorithm,
      keyId,
    })
    return { sign: key, verify: key }
  }
  const { privateKey, publicKey } = await api.generateKeyPair(algorithm, { keyId })
  if (privateKey.backend !== backend) {
    throw new Error(`expected a ${backend} key, got a ${privateKey.backend} one`)
  }
  return { sign: privateKey, verify: publicKey }
}

/** Runs `fn` for TIME_MS and answers operations per second. */
async function measure(fn) {
  let count = 0
  const start = performance.now()
  const end = start + TIME_MS
  while (performance.now() < end) {
    await fn()
    count++
  }
  return (count * 1000) / (performance.now() - start)
}

function cases(keys) {
  const data = new TextEncoder().encode('"@method": POST\n"@target-uri": https://api.example.com/x')
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
  }
}

async function compare(name, node, web) {
  await measure(node)
  await measure(web)
  const totals = { node: 0, web: 0 }
  for (let round = 0; round < ROUNDS; round++) {
    totals.node += await measure(node)
    totals.web += await measure(web)
  }
  const row = (n) => Math.round(n / ROUNDS)
  return `| ${name} | ${row(totals.node)} | ${row(totals.web)} | ${(totals.node / totals.web).toFixed(2)} |`
}

const rows = []
for (const algorithm of ALGORITHMS) {
  const node = cases(await keysFor('node', algorithm))
  const web = cases(await keysFor('web', algorithm))
  for (const name of Object.keys(node)) {
    rows.push(await compare(`${algorithm} ${name}`, node[name], web[name]))
  }
}
const body = new Uint8Array(1024)
rows.push(
  await compare(
    'sha-256 of 1 KiB',
    () => BACKENDS.node.digest('sha-256', body),
    () => BACKENDS.web.digest('sha-256', body),
  ),
)

console.log(`${runtime}: ops/s of core's backends, ${ROUNDS} rounds × ${TIME_MS} ms`)
console.log('| case | node:crypto | Web Crypto | node/web |')
console.log('| --- | ---: | ---: | ---: |')
console.log(rows.join('\n'))
