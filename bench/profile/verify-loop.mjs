// A tight loop of one HMAC-SHA256 verify case, to profile with `node --cpu-prof`. From bench/:
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof profile/verify-loop.mjs <mode> [iterations]
//
// mode: `message` (verifyMessage on field lines and bytes), `request` (build a Request and
// verifyRequest it), `floor` (build the Request and read its body with arrayBuffer(), no
// verifying) or `floor-capped` (the same, read with core's readCapped, as verifyRequest does).
// The packages resolve to their built dist/: build them first. Timing printed here is for
// orientation only; compare with `pnpm bench` (interleaved rounds, paired ratios).
import { randomBytes } from 'node:crypto'
import { createMemoryStore, importKey, readCapped, utf8 } from '@countersign/core'
import { createSigner } from '@countersign/signer'
import { createVerifier } from '@countersign/verifier'

const mode = process.argv[2] ?? 'message'
const n = Number(process.argv[3] ?? 200000)
const URL_ = 'https://api.example.com/v1/orders?cust=8f3a2'
const TYPE = 'application/json'
const BODY = utf8('{"sku":"A-1","quantity":2,"note":"ship to the blue door"}')
const POOL = 4096
const key = await importKey(new Uint8Array(randomBytes(32)), {
  algorithm: 'hmac-sha256',
  keyId: 'k',
})
const signer = createSigner({ key })
// The store's clock jumps two hours each time the loop wraps around the pool (as in the bench).
const lap = { n: 0 }
const verifier = createVerifier({
  keys: (id) => (id === 'k' ? key : undefined),
  maxAgeSeconds: 3600,
  nonceStore: createMemoryStore({ now: () => Date.now() + lap.n * 7_200_000 }),
})

const pool = []
for (let i = 0; i < POOL; i++) {
  const s = await signer.signMessage({
    method: 'POST',
    url: URL_,
    headers: [['content-type', TYPE]],
    body: BODY,
  })
  const lines = [
    ['Host', 'api.example.com'],
    ['Content-Type', TYPE],
    ['Content-Length', String(BODY.length)],
    ['Content-Digest', s['content-digest']],
    ['Signature-Input', s['signature-input']],
    ['Signature', s.signature],
  ]
  pool.push({ lines, record: Object.fromEntries(lines.map(([k, v]) => [k.toLowerCase(), v])) })
}

const cases = {
  message: (m) =>
    verifier.verifyMessage({ method: 'POST', url: URL_, headers: m.lines, body: BODY }),
  request: (m) =>
    verifier.verifyRequest(new Request(URL_, { method: 'POST', headers: m.record, body: BODY })),
  floor: async (m) => {
    const r = new Request(URL_, { method: 'POST', headers: m.record, body: BODY })
    return [r.headers.get('signature-input'), await r.arrayBuffer()]
  },
  'floor-capped': async (m) => {
    const r = new Request(URL_, { method: 'POST', headers: m.record, body: BODY })
    return [r.headers.get('signature-input'), await readCapped(r.body, 1 << 20)]
  },
}
const run = cases[mode]
if (run === undefined) {
  throw new Error(`unknown mode ${mode}: use ${Object.keys(cases).join(', ')}`)
}
const t0 = performance.now()
for (let i = 0; i < n; i++) {
  if (i % POOL === POOL - 1) {
    lap.n++
  }
  await run(pool[i % POOL])
}
console.log(mode, Math.round((n / (performance.now() - t0)) * 1000), 'ops/s')
