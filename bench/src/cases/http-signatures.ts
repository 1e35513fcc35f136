/**
 * RFC 9421 request signing and verification, end to end over one request: `POST` with a JSON
 * body, covering `@method`, `@target-uri`, `content-digest` and `content-type`, with `created`,
 * `keyid` and a random `nonce`. Three implementations do the same job side by side:
 *
 * - **raw limit** (the baseline): the signature base and the fields written by hand as template
 *   strings, `crypto.hash` for the digest, one `createHmac` (or `crypto.sign`/`crypto.verify`) on
 *   a cached `KeyObject`; verification parses `Signature-Input` with one fixed regex, compares the
 *   digest, checks the window and the nonce in a `Map`, and compares the MAC. No structured-field
 *   parser, no generality: the most this machine can do for the job.
 * - **Countersign**: `createSigner(...).signMessage` / `createVerifier(...).verifyMessage` (plain
 *   message parts, as a Node adapter has them), and for reference the `Request` forms.
 * - **http-message-signatures 1.0.6** (the peer): its `signMessage` / `verifyMessage`, plus the
 *   digest and nonce work it does not do itself, so it does the same job.
 *
 * Verification draws from a pool of 4096 distinct signed requests. Each verifier has its own
 * nonce store; when it wraps around the pool, its store's clock jumps two hours so the old nonces
 * have expired (the memory store then sweeps them), as a long-running server sees it.
 *
 * @module
 */
import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  hash,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto'
import {
  createMemoryStore,
  cryptoBackendName,
  type FieldLine,
  importKey,
  type Key,
  utf8,
} from '@countersign/core'
import { createSigner, type Signer } from '@countersign/signer'
import { createVerifier, type Verifier } from '@countersign/verifier'
import {
  httpbis,
  createSigner as peerSigner,
  createVerifier as peerVerifier,
} from 'http-message-signatures'
import type { Group } from '../harness.ts'

type Alg = 'hmac-sha256' | 'ed25519'

const URL_ = 'https://api.example.com/v1/orders?cust=8f3a2'
const BODY = utf8(
  '{"sku":"A-1","quantity":2,"note":"ship to the blue door"}',
) as Uint8Array<ArrayBuffer>
const TYPE = 'application/json'
const COMPONENTS = ['@method', '@target-uri', 'content-digest', 'content-type']
const LIST = '("@method" "@target-uri" "content-digest" "content-type")'
const POOL = 4096
const LAP_MS = 2 * 3600 * 1000
const MAX_AGE = 3600

interface Fixture {
  alg: Alg
  keyId: string
  /** node:crypto keys for the raw limit and the peer. */
  signKey: KeyObject
  verifyKey: KeyObject
  /** Countersign keys. */
  privateKey: Key
  publicKey: Key
  signer: Signer
  peerKey: ReturnType<typeof peerSigner>
}

interface SignedMessage {
  method: string
  url: string
  /** The field lines as a Node server receives them. */
  lines: FieldLine[]
  /** The same fields as a lowercase record (what the peer takes). */
  record: Record<string, string>
  body: Uint8Array<ArrayBuffer>
}

const fixtures = new Map<Alg, Promise<Fixture>>()

function rawSignBytes(fx: Fixture, base: string): Buffer {
  return fx.alg === 'hmac-sha256'
    ? createHmac('sha256', fx.signKey).update(base).digest()
    : sign(null, Buffer.from(base, 'latin1'), fx.signKey)
}

/** The raw limit: everything by hand. */
function rawSign(fx: Fixture, created: number, nonce: string): Record<string, string> {
  const digest = `sha-256=:${hash('sha256', BODY, 'base64')}:`
  const params = `${LIST};created=${created};keyid="${fx.keyId}";nonce="${nonce}"`
  const base = `"@method": POST\n"@target-uri": ${URL_}\n"content-digest": ${digest}\n"content-type": ${TYPE}\n"@signature-params": ${params}`
  return {
    'content-digest': digest,
    'signature-input': `sig1=${params}`,
    signature: `sig1=:${rawSignBytes(fx, base).toString('base64')}:`,
  }
}

async function peerSign(
  fx: Fixture,
  created: number,
  nonce: string,
): Promise<Record<string, string>> {
  const digest = `sha-256=:${hash('sha256', BODY, 'base64')}:`
  const signed = await httpbis.signMessage(
    {
      key: fx.peerKey,
      name: 'sig1',
      fields: COMPONENTS,
      params: ['created', 'keyid', 'nonce'],
      paramValues: { created: new Date(created * 1000), nonce },
    },
    { method: 'POST', url: URL_, headers: { 'content-type': TYPE, 'content-digest': digest } },
  )
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(signed.headers)) {
    out[name.toLowerCase()] = String(value)
  }
  return out
}

const SI =
  /^sig1=(\("@method" "@target-uri" "content-digest" "content-type"\);created=(\d{1,15});keyid="([^"\\]*)";nonce="([^"\\]*)")$/

/** A nonce store for the hand-written verifiers: key to expiry, with a clock that laps. */
class LapNonces {
  readonly seen = new Map<string, number>()
  lap = 0
  fresh(key: string, created: number): boolean {
    const now = Date.now() + this.lap * LAP_MS
    const expiresAt = this.seen.get(key)
    if (expiresAt !== undefined && expiresAt > now) {
      return false
    }
    this.seen.set(key, Math.max(now, created * 1000) + MAX_AGE * 1000 + 1000)
    return true
  }
}

/** The raw limit: fixed-shape regex parse, digest, window, nonce, MAC or signature check. */
function rawVerify(fx: Fixture, m: SignedMessage, nonces: LapNonces): boolean {
  let input: string | undefined
  let signature: string | undefined
  let digest: string | undefined
  let type: string | undefined
  for (const [name, value] of m.lines) {
    switch (name.toLowerCase()) {
      case 'signature-input':
        input = value
        break
      case 'signature':
        signature = value
        break
      case 'content-digest':
        digest = value
        break
      case 'content-type':
        type = value
        break
    }
  }
  const x = input === undefined ? null : SI.exec(input)
  if (x === null || signature === undefined || digest === undefined || type === undefined) {
    return false
  }
  const created = Number(x[2])
  const now = Date.now() / 1000
  if (created > now + 60 || created < now - MAX_AGE || x[3] !== fx.keyId) {
    return false
  }
  if (!signature.startsWith('sig1=:') || !signature.endsWith(':')) {
    return false
  }
  if (digest !== `sha-256=:${hash('sha256', m.body, 'base64')}:`) {
    return false
  }
  const sig = Buffer.from(signature.slice(6, -1), 'base64')
  const base = `"@method": ${m.method}\n"@target-uri": ${m.url}\n"content-digest": ${digest}\n"content-type": ${type}\n"@signature-params": ${x[1]}`
  let ok: boolean
  if (fx.alg === 'hmac-sha256') {
    const mac = createHmac('sha256', fx.signKey).update(base).digest()
    ok = mac.length === sig.length && timingSafeEqual(mac, sig)
  } else {
    ok = verify(null, Buffer.from(base, 'latin1'), fx.verifyKey, sig)
  }
  return ok && nonces.fresh(`${fx.keyId}:${x[4]}`, created)
}

async function makeFixture(alg: Alg): Promise<Fixture> {
  if (cryptoBackendName !== 'node') {
    throw new Error(`@countersign/core resolved to the ${cryptoBackendName} build, expected node`)
  }
  const keyId = `bench-${alg}`
  let signKey: KeyObject
  let verifyKey: KeyObject
  let privateKey: Key
  let publicKey: Key
  if (alg === 'hmac-sha256') {
    const secret = new Uint8Array(randomBytes(32))
    signKey = createSecretKey(secret)
    verifyKey = signKey
    privateKey = await importKey(secret, { algorithm: alg, keyId })
    publicKey = privateKey
  } else {
    const pair = generateKeyPairSync('ed25519')
    signKey = pair.privateKey
    verifyKey = pair.publicKey
    privateKey = await importKey(pair.privateKey.export({ format: 'jwk' }) as JsonWebKey, {
      algorithm: alg,
      keyId,
    })
    publicKey = await importKey(pair.publicKey.export({ format: 'jwk' }) as JsonWebKey, {
      algorithm: alg,
      keyId,
    })
  }
  const fx: Fixture = {
    alg,
    keyId,
    signKey,
    verifyKey,
    privateKey,
    publicKey,
    signer: createSigner({ key: privateKey }),
    peerKey: peerSigner(signKey, alg, keyId),
  }
  // The three implementations must write the same fields for the same created and nonce (HMAC
  // and Ed25519 are both deterministic).
  const created = Math.floor(Date.now() / 1000)
  const nonce = 'fixed-nonce-for-the-check'
  const ours = await fx.signer.signMessage(
    { method: 'POST', url: URL_, headers: [['content-type', TYPE]], body: BODY },
    { created, nonce },
  )
  const raw = rawSign(fx, created, nonce)
  const peer = await peerSign(fx, created, nonce)
  for (const name of ['content-digest', 'signature-input', 'signature'] as const) {
    if (ours[name] !== raw[name] || peer[name] !== raw[name]) {
      throw new Error(`${alg}: implementations disagree on ${name}, refusing to benchmark`)
    }
  }
  return fx
}

function fixture(alg: Alg): Promise<Fixture> {
  let pending = fixtures.get(alg)
  if (pending === undefined) {
    pending = makeFixture(alg)
    fixtures.set(alg, pending)
  }
  return pending
}

// ---------------------------------------------------------------------------------------------
// Signing

interface SignState {
  fx: Fixture
}

function signGroup(alg: Alg, targets: { raw: number; peer?: number; request: number }): Group {
  let state: SignState | undefined
  const s = (): SignState => {
    if (!state) {
      throw new Error('setup has not run')
    }
    return state
  }
  const message = {
    method: 'POST',
    url: URL_,
    headers: [['content-type', TYPE]] as FieldLine[],
    body: BODY,
  }
  const countersign = () => s().fx.signer.signMessage(message)
  return {
    name: `http-sig/${alg} sign (POST, 56-byte JSON body)`,
    setup: async () => {
      const fx = await fixture(alg)
      // The fast path's output must verify as what fetch would send, before it is measured.
      const init = await fx.signer.signRequestInit(URL_, {
        method: 'POST',
        headers: { 'content-type': TYPE },
        body: BODY,
      })
      await lapVerifier(fx, { n: 0 }).verifyMessage({
        method: init.method,
        url: URL_,
        headers: init.headers,
        body: BODY,
      })
      state = { fx }
    },
    compareTo: 'http-message-signatures',
    baseline: {
      name: 'raw limit',
      fn: () =>
        rawSign(s().fx, Math.floor(Date.now() / 1000), randomBytes(16).toString('base64url')),
    },
    peers: [
      {
        name: 'countersign signMessage',
        fn: countersign,
        target: { ratio: targets.raw, of: 'raw limit' },
      },
      ...(targets.peer === undefined
        ? []
        : [
            {
              name: 'countersign signMessage (vs peer)',
              fn: countersign,
              target: { ratio: targets.peer, of: 'http-message-signatures' },
              note: 'the same case again, carrying the target against the peer',
            },
          ]),
      {
        name: 'countersign signRequest',
        fn: () =>
          s().fx.signer.signRequest(
            new Request(URL_, { method: 'POST', headers: { 'content-type': TYPE }, body: BODY }),
          ),
        target: { ratio: targets.request, of: 'http-message-signatures' },
        note: 'Request in, signed Request out; includes building the input Request (~10 µs here)',
      },
      {
        name: 'Request round trip, no signing',
        fn: async () => {
          const request = new Request(URL_, {
            method: 'POST',
            headers: { 'content-type': TYPE },
            body: BODY,
          })
          const body = new Uint8Array(await request.clone().arrayBuffer())
          return new Request(request, { headers: [...request.headers], body })
        },
        note: 'the floor of any Request-in, Request-out signer that leaves the input unread: build the input, read its body from a clone, build the output; no crypto',
      },
      {
        name: 'countersign signRequestInit',
        fn: () =>
          s().fx.signer.signRequestInit(URL_, {
            method: 'POST',
            headers: { 'content-type': TYPE },
            body: BODY,
          }),
        target: { ratio: 0.6, of: 'raw limit' },
        note: 'the fetch fast path: the RequestInit a caller passes to fetch, signed; no Request built',
      },
      {
        name: 'http-message-signatures',
        fn: () =>
          peerSign(s().fx, Math.floor(Date.now() / 1000), randomBytes(16).toString('base64url')),
        note: 'http-message-signatures 1.0.6 signMessage, plus crypto.hash for Content-Digest',
      },
    ],
  }
}

// ---------------------------------------------------------------------------------------------
// Verifying

interface VerifyState {
  fx: Fixture
  pool: SignedMessage[]
  raw: { nonces: LapNonces; i: number }
  ours: { verifier: Verifier; lap: { n: number }; i: number }
  request: { verifier: Verifier; lap: { n: number }; i: number }
  peer: { nonces: LapNonces; i: number; config: Parameters<typeof httpbis.verifyMessage>[0] }
}

async function makePool(fx: Fixture): Promise<SignedMessage[]> {
  const pool: SignedMessage[] = []
  for (let i = 0; i < POOL; i++) {
    const signed = await fx.signer.signMessage({
      method: 'POST',
      url: URL_,
      headers: [['content-type', TYPE]],
      body: BODY,
    })
    const lines: FieldLine[] = [
      ['Host', 'api.example.com'],
      ['Content-Type', TYPE],
      ['Content-Length', String(BODY.length)],
      ['Content-Digest', signed['content-digest'] as string],
      ['Signature-Input', signed['signature-input']],
      ['Signature', signed.signature],
    ]
    const record: Record<string, string> = {}
    for (const [name, value] of lines) {
      record[name.toLowerCase()] = value
    }
    pool.push({ method: 'POST', url: URL_, lines, record, body: BODY })
  }
  return pool
}

function lapVerifier(fx: Fixture, lap: { n: number }): Verifier {
  return createVerifier({
    keys: (keyId) => (keyId === fx.keyId ? fx.publicKey : undefined),
    maxAgeSeconds: MAX_AGE,
    nonceStore: createMemoryStore({ now: () => Date.now() + lap.n * LAP_MS }),
  })
}

function peerConfig(fx: Fixture): Parameters<typeof httpbis.verifyMessage>[0] {
  const key = { id: fx.keyId, algs: [fx.alg], verify: peerVerifier(fx.verifyKey, fx.alg) }
  return {
    keyLookup: async (params) => (params.keyid === fx.keyId ? key : null),
    maxAge: MAX_AGE,
    requiredFields: COMPONENTS,
    requiredParams: ['created', 'keyid', 'nonce'],
  }
}

async function peerVerify(st: VerifyState['peer'], m: SignedMessage): Promise<boolean> {
  const ok = await httpbis.verifyMessage(st.config, {
    method: m.method,
    url: m.url,
    headers: m.record,
  })
  if (ok !== true) {
    return false
  }
  if (m.record['content-digest'] !== `sha-256=:${hash('sha256', m.body, 'base64')}:`) {
    return false
  }
  const nonce = /;nonce="([^"]*)"/.exec(m.record['signature-input'] as string)?.[1]
  const created = Number(/;created=(\d+)/.exec(m.record['signature-input'] as string)?.[1])
  return nonce !== undefined && st.nonces.fresh(`k:${nonce}`, created)
}

function next<T extends { i: number }>(
  st: T,
  pool: SignedMessage[],
  onLap: () => void,
): SignedMessage {
  const m = pool[st.i] as SignedMessage
  st.i++
  if (st.i === pool.length) {
    st.i = 0
    onLap()
  }
  return m
}

function tampered(m: SignedMessage): SignedMessage {
  const body = new Uint8Array(m.body)
  body[3] = (body[3] as number) ^ 1
  return { ...m, body }
}

async function checkVerifiers(st: VerifyState): Promise<void> {
  const good = st.pool[0] as SignedMessage
  const bad = tampered(good)
  const fx = st.fx
  const ours = lapVerifier(fx, { n: 0 })
  const peer = { nonces: new LapNonces(), i: 0, config: peerConfig(fx) }
  const verdicts = [
    rawVerify(fx, good, new LapNonces()),
    (await ours.verifyMessage({ ...good, headers: good.lines })).keyId === fx.keyId,
    await peerVerify(peer, good),
    !rawVerify(fx, bad, new LapNonces()),
    await ours.verifyMessage({ ...bad, headers: bad.lines }).then(
      () => false,
      (error: { code?: string }) => error.code === 'digest_mismatch',
    ),
    !(await peerVerify({ ...peer, nonces: new LapNonces() }, bad)),
    // A replay is refused by each.
    !rawVerify(
      fx,
      good,
      (() => {
        const n = new LapNonces()
        rawVerify(fx, good, n)
        return n
      })(),
    ),
  ]
  if (verdicts.some((v) => v !== true)) {
    throw new Error(`${fx.alg} verify: implementations disagree (${verdicts.join(',')})`)
  }
}

function verifyGroup(alg: Alg, targets: { raw: number; peer?: number }): Group {
  let state: VerifyState | undefined
  const s = (): VerifyState => {
    if (!state) {
      throw new Error('setup has not run')
    }
    return state
  }
  const countersign = async () => {
    const st = s()
    const m = next(st.ours, st.pool, () => {
      st.ours.lap.n++
    })
    return st.ours.verifier.verifyMessage({
      method: m.method,
      url: m.url,
      headers: m.lines,
      body: m.body,
    })
  }
  return {
    name: `http-sig/${alg} verify (POST, 56-byte JSON body)`,
    setup: async () => {
      const fx = await fixture(alg)
      const pool = await makePool(fx)
      const lapOurs = { n: 0 }
      const lapRequest = { n: 0 }
      state = {
        fx,
        pool,
        raw: { nonces: new LapNonces(), i: 0 },
        ours: { verifier: lapVerifier(fx, lapOurs), lap: lapOurs, i: 0 },
        request: { verifier: lapVerifier(fx, lapRequest), lap: lapRequest, i: 0 },
        peer: { nonces: new LapNonces(), i: 0, config: peerConfig(fx) },
      }
      await checkVerifiers(state)
    },
    compareTo: 'http-message-signatures',
    baseline: {
      name: 'raw limit',
      fn: () => {
        const st = s()
        const m = next(st.raw, st.pool, () => {
          st.raw.nonces.lap++
        })
        if (!rawVerify(st.fx, m, st.raw.nonces)) {
          throw new Error('raw verify refused a good request')
        }
      },
    },
    peers: [
      {
        name: 'countersign verifyMessage',
        fn: countersign,
        target: { ratio: targets.raw, of: 'raw limit' },
        note: 'field lines and body bytes, as the Node adapter has them',
      },
      ...(targets.peer === undefined
        ? []
        : [
            {
              name: 'countersign verifyMessage (vs peer)',
              fn: countersign,
              target: { ratio: targets.peer, of: 'http-message-signatures' },
              note: 'the same case again, carrying the target against the peer',
            },
          ]),
      {
        name: 'countersign verifyRequest',
        fn: () => {
          const st = s()
          const m = next(st.request, st.pool, () => {
            st.request.lap.n++
          })
          return st.request.verifier.verifyRequest(
            new Request(m.url, { method: m.method, headers: m.record, body: m.body }),
          )
        },
        target: { ratio: 0.7, of: 'countersign verifyMessage' },
        note: 'includes building the Request (~10 µs here), as a Fetch-style server does',
      },
      {
        name: 'Request build + body read, no verifying',
        fn: async () => {
          const st = s()
          const m = st.pool[(st.request.i + 1) % st.pool.length] as SignedMessage
          const request = new Request(m.url, { method: m.method, headers: m.record, body: m.body })
          return [request.headers.get('signature-input'), await request.arrayBuffer()]
        },
        note: 'the floor of verifying a Fetch Request: build it as a Fetch-style server hands it over and read its body; no parsing, no crypto',
      },
      {
        name: 'http-message-signatures',
        fn: async () => {
          const st = s()
          const m = next(st.peer, st.pool, () => {
            st.peer.nonces.lap++
          })
          if (!(await peerVerify(st.peer, m))) {
            throw new Error('peer verify refused a good request')
          }
        },
        note: 'http-message-signatures 1.0.6 verifyMessage, plus the digest and nonce checks',
      },
    ],
  }
}

export const groups: Group[] = [
  signGroup('hmac-sha256', { raw: 0.5, peer: 8, request: 2 }),
  verifyGroup('hmac-sha256', { raw: 0.6, peer: 6 }),
  signGroup('ed25519', { raw: 0.85, request: 1.5 }),
  verifyGroup('ed25519', { raw: 0.85 }),
]
