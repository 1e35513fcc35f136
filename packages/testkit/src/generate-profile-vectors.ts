/**
 * Writes `vectors/countersign/profile-v1.json` (format `countersign-profile-vectors/1`, see
 * `vectors/countersign/README.md`) with the real TypeScript signer (`@countersign/signer`) and
 * fixed keys, `created` and nonces. The file is committed; re-run this by hand, on purpose only:
 *
 *   node packages/testkit/src/generate-profile-vectors.ts
 *
 * hmac-sha256 and ed25519 signatures are deterministic, so those cases come out byte for byte the
 * same; ecdsa-p256-sha256 signatures are randomised, so every run changes the ECDSA cases.
 *
 * Valid cases are verified by the TypeScript verifier in
 * `packages/verifier/test/profile-vectors.test.ts` and by the Python reference verifier in
 * `python/tests/test_profile_vectors.py`; each invalid case records the error code the
 * TypeScript verifier gives.
 */
import { writeFileSync } from 'node:fs'
import { importKey, type Key } from '@countersign/core'
import { signMessage } from '../../signer/src/index.ts'
import type { SignRequestOptions } from '../../signer/src/types.ts'

type FieldLine = [string, string]

/** Generated once with node:crypto `generateKeyPairSync` and written here literally. Test keys only. */
const ED25519_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: 'O5fZEkTbmotfH4j6YBUL0tiCK7vUNbxtlA7eed7d7j4',
  d: '5q72ob5a_GNolL66xTZSCUWNfxsY_cGqgTxS_kBArXc',
  kid: 'profile-ed25519',
}
const P256_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'Y2iaRBNP0QBKRkR2KMrdRMDLa3du-4cJrGGWYlNxh8I',
  y: 'KyoMIlQzal2_I6gZHxR0rO0SL3xQId5hSNFPOg6nhYI',
  d: 'KCJXaOhA3i_U1K9i_YxYBNLGmfvbEUHq0a-iekLITMk',
  kid: 'profile-p256',
}
/** 32 random bytes, base64url without padding. */
const HMAC_SECRET = 'wi6BArrrXUC8CU-h_6jbf7h3ifyrFvCaNnWlWNuagWE'
const HMAC_KEY_ID = 'profile-hmac'

const CREATED = 1767225600 // 2026-01-01T00:00:00Z
const NOW = CREATED + 30
const ORIGIN = 'https://api.example.com'

function publicJwk(jwk: Record<string, string>): Record<string, string> {
  const { d: _d, ...rest } = jwk
  return rest
}

const KEYS = {
  'hmac-sha256': {
    sign: await importKey(Buffer.from(HMAC_SECRET, 'base64url'), {
      algorithm: 'hmac-sha256',
      keyId: HMAC_KEY_ID,
    }),
    spec: { secret: HMAC_SECRET, keyId: HMAC_KEY_ID } as Record<string, unknown>,
  },
  ed25519: {
    sign: await importKey(ED25519_JWK),
    spec: { jwk: publicJwk(ED25519_JWK) } as Record<string, unknown>,
  },
  'ecdsa-p256-sha256': {
    sign: await importKey(P256_JWK),
    spec: { jwk: publicJwk(P256_JWK) } as Record<string, unknown>,
  },
} satisfies Record<string, { sign: Key; spec: Record<string, unknown> }>

type AlgorithmName = keyof typeof KEYS

interface Request {
  method: string
  url: string
  headers: FieldLine[]
  body?: string
}

interface Case {
  id: string
  description: string
  method: string
  url: string
  headers: FieldLine[]
  body?: string
  key: Record<string, unknown>
  now: number
  options?: Record<string, unknown>
  expected: { valid: boolean; code?: string; keyId?: string }
}

let nonceCounter = 0

/** Signs `request` with the real signer and returns every field line the request is sent with. */
async function sign(
  algorithm: AlgorithmName,
  request: Request,
  options: Partial<SignRequestOptions> = {},
): Promise<FieldLine[]> {
  nonceCounter += 1
  const fields = await signMessage(
    {
      method: request.method,
      url: request.url,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    },
    {
      key: KEYS[algorithm].sign,
      created: CREATED,
      nonce: `profile-nonce-${String(nonceCounter).padStart(4, '0')}`,
      ...options,
    },
  )
  const lines: FieldLine[] = [...request.headers]
  if (fields['content-digest'] !== undefined) {
    lines.push(['Content-Digest', fields['content-digest']])
  }
  lines.push(['Signature-Input', fields['signature-input']])
  lines.push(['Signature', fields.signature])
  return lines
}

function caseOf(
  id: string,
  description: string,
  algorithm: AlgorithmName,
  request: Request,
  headers: FieldLine[],
  expected: Case['expected'],
  extra: Partial<Case> = {},
): Case {
  return {
    id,
    description,
    method: request.method,
    url: request.url,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    key: KEYS[algorithm].spec,
    now: NOW,
    expected,
    ...extra,
  }
}

function replaceField(headers: FieldLine[], name: string, edit: (value: string) => string) {
  return headers.map(([n, v]): FieldLine => (n.toLowerCase() === name ? [n, edit(v)] : [n, v]))
}

const keyIdOf = (algorithm: AlgorithmName) => KEYS[algorithm].sign.keyId

const get: Request = {
  method: 'GET',
  url: `${ORIGIN}/v1/orders/42`,
  headers: [
    ['Host', 'api.example.com'],
    ['Accept', 'application/json'],
  ],
}
const getQuery: Request = {
  method: 'GET',
  url: `${ORIGIN}/v1/orders?status=open&page=2&q=caf%C3%A9%20au%20lait`,
  headers: [['Host', 'api.example.com']],
}
const post: Request = {
  method: 'POST',
  url: `${ORIGIN}/v1/orders?dry_run=false`,
  headers: [
    ['Host', 'api.example.com'],
    ['Content-Type', 'application/json'],
  ],
  body: '{"item":"book","qty":1,"note":"caf\u00e9"}',
}

const cases: Case[] = []

// Valid cases: every algorithm × GET, GET with a query, POST JSON (sha-256 and sha-512).
for (const algorithm of Object.keys(KEYS) as AlgorithmName[]) {
  const valid = { valid: true, keyId: keyIdOf(algorithm) }
  cases.push(
    caseOf(
      `${algorithm}-get`,
      'GET without a body: @method and @target-uri.',
      algorithm,
      get,
      await sign(algorithm, get),
      valid,
    ),
    caseOf(
      `${algorithm}-get-query`,
      'GET with query parameters (a percent-encoded UTF-8 value), also covering @query and @query-param.',
      algorithm,
      getQuery,
      await sign(algorithm, getQuery, {
        components: ['@method', '@target-uri', '@query', '"@query-param";name="status"'],
      }),
      valid,
    ),
    caseOf(
      `${algorithm}-post-json-sha256`,
      'POST with a JSON body: Content-Digest sha-256, the default components.',
      algorithm,
      post,
      await sign(algorithm, post),
      valid,
    ),
    caseOf(
      `${algorithm}-post-json-sha512`,
      'POST with a JSON body: Content-Digest sha-512, the default components and alg.',
      algorithm,
      post,
      await sign(algorithm, post, { digest: 'sha-512', alg: true }),
      valid,
    ),
  )
}

// Invalid cases: a signed request changed in one way each.
const hmacPost = await sign('hmac-sha256', post)
const edPost = await sign('ed25519', post)
const ecPost = await sign('ecdsa-p256-sha256', post)
const edGet = await sign('ed25519', get)

cases.push(
  caseOf(
    'hmac-sha256-body-tampered',
    'The signed headers with another body: Content-Digest no longer matches.',
    'hmac-sha256',
    { ...post, body: post.body!.replace('"qty":1', '"qty":9') },
    hmacPost,
    { valid: false, code: 'digest_mismatch' },
  ),
  caseOf(
    'ed25519-body-tampered',
    'The signed headers with another body: Content-Digest no longer matches.',
    'ed25519',
    { ...post, body: post.body!.replace('book', 'boot') },
    edPost,
    { valid: false, code: 'digest_mismatch' },
  ),
  caseOf(
    'ed25519-method-changed',
    'Signed as POST, sent as PUT.',
    'ed25519',
    { ...post, method: 'PUT' },
    edPost,
    { valid: false, code: 'signature_invalid' },
  ),
  caseOf(
    'ecdsa-p256-sha256-method-changed',
    'Signed as POST, sent as PATCH.',
    'ecdsa-p256-sha256',
    { ...post, method: 'PATCH' },
    ecPost,
    { valid: false, code: 'signature_invalid' },
  ),
  caseOf(
    'hmac-sha256-target-changed',
    'Signed for ?dry_run=false, sent to ?dry_run=true.',
    'hmac-sha256',
    { ...post, url: `${ORIGIN}/v1/orders?dry_run=true` },
    hmacPost,
    { valid: false, code: 'signature_invalid' },
  ),
  caseOf(
    'ed25519-target-changed',
    'Signed for /v1/orders/42, sent to /v1/orders/43.',
    'ed25519',
    { ...get, url: `${ORIGIN}/v1/orders/43` },
    edGet,
    { valid: false, code: 'signature_invalid' },
  ),
  caseOf(
    'ed25519-created-too-old',
    'created is 301 seconds before now (maxAge 300).',
    'ed25519',
    get,
    edGet,
    { valid: false, code: 'signature_expired' },
    { now: CREATED + 301 },
  ),
  caseOf(
    'hmac-sha256-created-in-future',
    'created is 61 seconds after now (maxFuture 60).',
    'hmac-sha256',
    post,
    hmacPost,
    { valid: false, code: 'signature_expired' },
    { now: CREATED - 61 },
  ),
  caseOf(
    'ed25519-created-old-within-max-age',
    'created is 3000 seconds before now, accepted with maxAge 3600.',
    'ed25519',
    get,
    edGet,
    { valid: true, keyId: keyIdOf('ed25519') },
    { now: CREATED + 3000, options: { maxAge: 3600 } },
  ),
  caseOf('ed25519-key-unknown', 'The verifier knows only another keyid.', 'ed25519', post, edPost, {
    valid: false,
    code: 'key_unknown',
  }),
  caseOf(
    'ed25519-alg-mismatch',
    'alg="ed25519" on the signature, but the verifier holds an hmac-sha256 key under that keyid.',
    'ed25519',
    post,
    await sign('ed25519', post, { alg: true }),
    { valid: false, code: 'algorithm_mismatch' },
  ),
)
// key_unknown: the same key under another id.
cases.at(-2)!.key = { jwk: { ...publicJwk(ED25519_JWK), kid: 'someone-else' } }
// algorithm_mismatch: an hmac-sha256 secret under the ed25519 keyid.
cases.at(-1)!.key = { secret: HMAC_SECRET, keyId: keyIdOf('ed25519') }

cases.push(
  caseOf(
    'hmac-sha256-digest-missing',
    'A JSON body, signed without Content-Digest (covering @method, @target-uri, content-type).',
    'hmac-sha256',
    post,
    await sign('hmac-sha256', post, {
      digest: false,
      components: ['@method', '@target-uri', 'content-type'],
    }),
    { valid: false, code: 'digest_missing' },
  ),
  caseOf(
    'ed25519-component-covered-twice',
    'Signature-Input covers "@method" twice (the signature is over that base).',
    'ed25519',
    get,
    replaceField(edGet, 'signature-input', (v) => v.replace('("@method"', '("@method" "@method"')),
    { valid: false, code: 'malformed' },
  ),
  caseOf(
    'hmac-sha256-signature-input-garbage',
    'Signature-Input is not a structured-field Dictionary.',
    'hmac-sha256',
    post,
    replaceField(hmacPost, 'signature-input', () => 'sig1=("@method" "@target-uri";created=('),
    { valid: false, code: 'malformed' },
  ),
  caseOf(
    'hmac-sha256-replayed',
    'The nonce was already used under this keyid.',
    'hmac-sha256',
    post,
    hmacPost,
    { valid: false, code: 'replayed' },
  ),
)
{
  const replayed = cases.at(-1)!
  const input = replayed.headers.find(([n]) => n === 'Signature-Input')![1]
  replayed.options = { seenNonces: [/nonce="([^"]+)"/.exec(input)![1]!] }
}

const document = {
  format: 'countersign-profile-vectors/1',
  description:
    'Generated by packages/testkit/src/generate-profile-vectors.ts with the TypeScript signer and fixed keys; ' +
    'invalid cases record the TypeScript verifier’s code. ECDSA signatures change on every run.',
  cases,
}
const out = new URL('../vectors/countersign/profile-v1.json', import.meta.url)
writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`)
console.log(`wrote ${cases.length} cases to ${out.pathname}`)
