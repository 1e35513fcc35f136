/**
 * `@countersign/core` crypto against the raw platform APIs: HMAC-SHA256 sign over a 308-byte
 * RFC 9421 signature base, Ed25519 sign and verify. The baseline is raw `node:crypto` on cached
 * `KeyObject`s (the fastest this machine goes); raw Web Crypto is the peer the Web backend wraps.
 * `@countersign/core` resolves to its Node build here (the `node` export condition); its
 * `webBackend` export is the Web Crypto backend every other runtime gets.
 *
 * @module
 */
import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto'
import { cryptoBackendName, importKey, type Key, webBackend } from '@countersign/core'
import type { Group } from '../harness.ts'

/** An RFC 9421 signature base of 308 bytes, the size the design numbers were measured on. */
export const SIGNATURE_BASE: Uint8Array<ArrayBuffer> = new TextEncoder().encode(
  [
    '"@method": POST',
    '"@target-uri": https://api.example.com/v1/orders?cust=8f3a2',
    '"content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
    '"content-type": application/json',
    '"@signature-params": ("@method" "@target-uri" "content-digest" "content-type");created=1767225600;keyid="k1";alg="hmac-sha256"',
  ].join('\n'),
)

interface Keys {
  hmac: { raw: KeyObject; core: Key; web: Key; subtle: CryptoKey }
  ed: {
    rawPrivate: KeyObject
    rawPublic: KeyObject
    corePrivate: Key
    corePublic: Key
    webPrivate: Key
    webPublic: Key
    subtlePrivate: CryptoKey
    subtlePublic: CryptoKey
    signature: Uint8Array<ArrayBuffer>
  }
}

let keys: Keys | undefined
let pending: Promise<Keys> | undefined

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function sameBytes(label: string, values: Uint8Array[]): void {
  const first = hex(values[0]!)
  for (const v of values) {
    if (hex(v) !== first) {
      throw new Error(`${label}: implementations disagree, refusing to benchmark`)
    }
  }
}

function syncOf<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new Error(`${what} is missing: expected on a node-backend key`)
  }
  return value
}

/** Imports the same key material into every implementation and checks they agree. */
async function makeKeys(): Promise<Keys> {
  if (cryptoBackendName !== 'node') {
    throw new Error(`@countersign/core resolved to the ${cryptoBackendName} build, expected node`)
  }
  const base = SIGNATURE_BASE
  const secret = new Uint8Array(randomBytes(32))
  const hmacOptions = { algorithm: 'hmac-sha256', keyId: 'bench-hmac' } as const
  const hmac = {
    raw: createSecretKey(secret),
    core: await importKey(secret, hmacOptions),
    web: await webBackend.importKey(secret, hmacOptions),
    subtle: await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]),
  }
  sameBytes('hmac-sha256', [
    new Uint8Array(createHmac('sha256', hmac.raw).update(base).digest()),
    syncOf(hmac.core.signSync, 'signSync')(base),
    await hmac.core.sign(base),
    await hmac.web.sign(base),
    new Uint8Array(await crypto.subtle.sign('HMAC', hmac.subtle, base)),
  ])

  const pair = generateKeyPairSync('ed25519')
  const privateJwk = pair.privateKey.export({ format: 'jwk' }) as JsonWebKey
  const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JsonWebKey
  const edOptions = { algorithm: 'ed25519', keyId: 'bench-ed25519' } as const
  const ed = {
    rawPrivate: pair.privateKey,
    rawPublic: pair.publicKey,
    corePrivate: await importKey(privateJwk, edOptions),
    corePublic: await importKey(publicJwk, edOptions),
    webPrivate: await webBackend.importKey(privateJwk, edOptions),
    webPublic: await webBackend.importKey(publicJwk, edOptions),
    subtlePrivate: await crypto.subtle.importKey('jwk', privateJwk, { name: 'Ed25519' }, false, [
      'sign',
    ]),
    subtlePublic: await crypto.subtle.importKey('jwk', publicJwk, { name: 'Ed25519' }, false, [
      'verify',
    ]),
    signature: new Uint8Array(sign(null, base, pair.privateKey)),
  }
  // Ed25519 is deterministic: every implementation must produce the same bytes.
  sameBytes('ed25519', [
    ed.signature,
    syncOf(ed.corePrivate.signSync, 'signSync')(base),
    await ed.corePrivate.sign(base),
    await ed.webPrivate.sign(base),
    new Uint8Array(await crypto.subtle.sign('Ed25519', ed.subtlePrivate, base)),
  ])
  const verdicts = [
    verify(null, base, ed.rawPublic, ed.signature),
    syncOf(ed.corePublic.verifySync, 'verifySync')(base, ed.signature),
    await ed.corePublic.verify(base, ed.signature),
    await ed.webPublic.verify(base, ed.signature),
    await crypto.subtle.verify('Ed25519', ed.subtlePublic, ed.signature, base),
  ]
  if (verdicts.some((ok) => ok !== true)) {
    throw new Error(`ed25519 verify: expected all true, got ${verdicts.join(',')}`)
  }
  return { hmac, ed }
}

async function setup(): Promise<void> {
  pending ??= makeKeys()
  keys = await pending
}

function k(): Keys {
  if (!keys) {
    throw new Error('setup has not run')
  }
  return keys
}

const IN_FLIGHT = 16

export const groups: Group[] = [
  {
    name: 'core/hmac-sha256 sign (308-byte base)',
    setup,
    compareTo: 'subtle.sign',
    baseline: {
      name: 'node:crypto createHmac',
      fn: () => createHmac('sha256', k().hmac.raw).update(SIGNATURE_BASE).digest(),
    },
    peers: [
      {
        name: 'core node signSync',
        fn: () => k().hmac.core.signSync?.(SIGNATURE_BASE),
        target: { ratio: 0.8, of: 'node:crypto createHmac' },
      },
      {
        name: 'core node sign',
        fn: () => k().hmac.core.sign(SIGNATURE_BASE),
        target: { ratio: 0.5, of: 'node:crypto createHmac' },
        note: 'async API on the node backend, awaited one at a time',
      },
      {
        name: 'core web sign',
        fn: () => k().hmac.web.sign(SIGNATURE_BASE),
        target: { ratio: 0.8, of: 'subtle.sign' },
      },
      {
        name: 'subtle.sign',
        fn: () => crypto.subtle.sign('HMAC', k().hmac.subtle, SIGNATURE_BASE),
      },
      {
        name: 'core web sign c16',
        fn: () => k().hmac.web.sign(SIGNATURE_BASE),
        concurrency: IN_FLIGHT,
      },
      {
        name: 'subtle.sign c16',
        fn: () => crypto.subtle.sign('HMAC', k().hmac.subtle, SIGNATURE_BASE),
        concurrency: IN_FLIGHT,
      },
    ],
  },
  {
    name: 'core/ed25519 sign (308-byte base)',
    setup,
    compareTo: 'subtle.sign',
    baseline: {
      name: 'node:crypto sign',
      fn: () => sign(null, SIGNATURE_BASE, k().ed.rawPrivate),
    },
    peers: [
      {
        name: 'core node signSync',
        fn: () => k().ed.corePrivate.signSync?.(SIGNATURE_BASE),
        target: { ratio: 0.9, of: 'node:crypto sign' },
      },
      {
        name: 'core node sign',
        fn: () => k().ed.corePrivate.sign(SIGNATURE_BASE),
        target: { ratio: 0.8, of: 'node:crypto sign' },
      },
      {
        name: 'core web sign',
        fn: () => k().ed.webPrivate.sign(SIGNATURE_BASE),
        target: { ratio: 0.8, of: 'subtle.sign' },
      },
      {
        name: 'subtle.sign',
        fn: () => crypto.subtle.sign('Ed25519', k().ed.subtlePrivate, SIGNATURE_BASE),
      },
    ],
  },
  {
    name: 'core/ed25519 verify (308-byte base)',
    setup,
    compareTo: 'subtle.verify',
    baseline: {
      name: 'node:crypto verify',
      fn: () => verify(null, SIGNATURE_BASE, k().ed.rawPublic, k().ed.signature),
    },
    peers: [
      {
        name: 'core node verifySync',
        fn: () => k().ed.corePublic.verifySync?.(SIGNATURE_BASE, k().ed.signature),
        target: { ratio: 0.9, of: 'node:crypto verify' },
      },
      {
        name: 'core node verify',
        fn: () => k().ed.corePublic.verify(SIGNATURE_BASE, k().ed.signature),
        target: { ratio: 0.8, of: 'node:crypto verify' },
      },
      {
        name: 'core web verify',
        fn: () => k().ed.webPublic.verify(SIGNATURE_BASE, k().ed.signature),
        target: { ratio: 0.8, of: 'subtle.verify' },
      },
      {
        name: 'subtle.verify',
        fn: () =>
          crypto.subtle.verify('Ed25519', k().ed.subtlePublic, k().ed.signature, SIGNATURE_BASE),
      },
    ],
  },
]
