/**
 * The standing defence for the verifier's presets and the relay envelope: requests built from a
 * correctly signed one, with `Authorization`, `X-ROCK-TIMESTAMP`, `Signature-Input`,
 * `Signature`, `Content-Digest`, `Content-Type` and the body replaced by mutations or garbage,
 * go to `verifyIcypeas`, `verifyApiKey` and `verifyRelayRequest`. The property: a result, or a
 * `CountersignError` with a 4xx status and a snake_case code; never any other throw. (Signature
 * fields through `verifyRequest` and the Node adapter: `malformed.test.ts`.) Fixed seed here;
 * `FUZZ_SEED` / `FUZZ_RUNS` override it (`scripts/fuzz.mjs`).
 */
import {
  createMemoryStore,
  generateKeyPair,
  hashSecret,
  isCountersignError,
} from '@countersign/core'
import { signIcypeas, signRequest } from '@countersign/signer'
import fc from 'fast-check'
import { beforeAll, describe, it } from 'vitest'
import {
  RELAY_COMPONENTS,
  RELAY_SIGNATURE_TAG,
  verifyApiKey,
  verifyIcypeas,
  verifyRelayRequest,
} from '../src/index.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 42)
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
/** Generous for a loaded machine; grows with `FUZZ_RUNS` for the long run. */
const TIMEOUT_MS = Math.max(60_000, RUNS * 300)
const URL_ = 'https://api.example/v1/orders?x=1'
const API_KEY = 'icy-key-1'
const SECRET = 'icy-secret-1'

let relaySigned: Request
let icypeasSigned: Request
let relayOptions: Parameters<typeof verifyRelayRequest>[1]
let keyHash: string

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ed25519', { keyId: 'relay-1' })
  relayOptions = { keys: [publicKey], nonceStore: createMemoryStore() }
  const body = JSON.stringify({
    user: { user_id: 'u1' },
    data: { a: 1 },
    request: { id: 'r1', time: '2026-12-08T00:00:00.000Z' },
  })
  relaySigned = await signRequest(
    new Request(URL_, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    { key: privateKey, components: RELAY_COMPONENTS, tag: RELAY_SIGNATURE_TAG, expiresIn: 60 },
  )
  icypeasSigned = await signIcypeas(new Request(URL_, { method: 'POST' }), {
    apiKey: API_KEY,
    secret: SECRET,
    timestamp: new Date(),
  })
  keyHash = await hashSecret(API_KEY)
  // The unmutated requests verify, so the mutated ones start from something that gets deep.
  await verifyRelayRequest(relaySigned.clone(), {
    keys: [publicKey],
    nonceStore: createMemoryStore(),
  })
  await verifyIcypeas(icypeasSigned.clone(), { secrets: () => SECRET })
})

/** A value of `real` with a few edits, the structured-field soup, or any code units. */
function variant(real: () => string | null): fc.Arbitrary<string | null> {
  const chars = fc.constantFrom(...'()";=:,*-._?@%\\/ 1aZ+'.split(''), '\u00e9', '\t')
  return fc.oneof(
    fc.constant(null).map(() => real()),
    fc.constant(null),
    fc
      .tuple(fc.nat(), fc.nat(6), fc.string({ unit: chars, maxLength: 4 }))
      .map(([at, cut, text]) => {
        const value = real() ?? ''
        const i = at % (value.length + 1)
        return value.slice(0, i) + text + value.slice(i + cut)
      }),
    fc.string({ unit: chars, maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
  )
}

const FIELDS = [
  'authorization',
  'x-rock-timestamp',
  'signature-input',
  'signature',
  'content-digest',
  'content-type',
] as const

/** A request like `base()`, its fields and body replaced as drawn. */
function mutatedRequest(
  base: () => Request,
): fc.Arbitrary<{ make: () => Promise<Request>; shown: unknown }> {
  const fields = fc.tuple(...FIELDS.map((name) => variant(() => base().headers.get(name))))
  const body = fc.oneof(
    fc.constant(undefined),
    fc.json({ maxDepth: 2 }),
    fc.constantFrom('{"user":1,"user":2}', '{"__proto__":{}}', '', '[]', 'null'),
    fc.string({ unit: 'binary', maxLength: 60 }),
  )
  return fc
    .tuple(fields, body, fc.constantFrom('POST', 'GET', 'post'))
    .map(([values, text, method]) => ({
      shown: { values, text, method },
      make: async () => {
        const original = base()
        const headers = new Headers()
        FIELDS.forEach((name, i) => {
          const value = values[i]
          if (value === null || value === undefined) {
            return
          }
          try {
            headers.set(name, value)
          } catch {
            // Not a header value at all: a server could not have received it.
          }
        })
        const bytes = text === undefined ? await original.clone().arrayBuffer() : text
        const withBody = method !== 'GET'
        return new Request(original.url, { method, headers, ...(withBody ? { body: bytes } : {}) })
      },
    }))
}

async function settles(run: () => Promise<unknown>, shown: unknown): Promise<void> {
  try {
    await run()
  } catch (error) {
    if (
      isCountersignError(error) &&
      error.status >= 400 &&
      error.status < 500 &&
      CODE.test(error.code)
    ) {
      return
    }
    throw new Error(`not a coded 4xx for ${JSON.stringify(shown)?.slice(0, 300)}: ${String(error)}`)
  }
}

describe('verifier presets and the relay envelope: a coded 4xx or a result', {
  timeout: TIMEOUT_MS,
}, () => {
  it('verifyRelayRequest', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedRequest(() => relaySigned.clone()),
        async ({ make, shown }) => {
          await settles(async () => verifyRelayRequest(await make(), relayOptions), shown)
        },
      ),
      // A run verifies an Ed25519 signature whenever the mutation leaves it intact: a quarter.
      { seed: SEED, numRuns: Math.max(1, Math.floor(RUNS / 4)) },
    )
  })

  it('verifyIcypeas and verifyApiKey', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedRequest(() => icypeasSigned.clone()),
        async ({ make, shown }) => {
          await settles(
            async () =>
              verifyIcypeas(await make(), {
                secrets: (key) => (key === API_KEY ? SECRET : undefined),
              }),
            shown,
          )
          await settles(
            async () =>
              verifyApiKey(await make(), {
                lookup: (hash) => (hash === keyHash ? { hash } : undefined),
              }),
            shown,
          )
          await settles(
            async () =>
              verifyApiKey(await make(), { header: 'x-rock-timestamp', lookup: () => undefined }),
            shown,
          )
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
