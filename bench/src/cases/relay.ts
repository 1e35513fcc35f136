/**
 * `@countersign/relay` forwarding over loopback, against the same request sent straight to the
 * API and through two plain proxies.
 *
 * Everything runs in this process on 127.0.0.1 ports: one upstream API on `node:http` that
 * answers a small JSON (it does not verify, so the relay itself is measured), a bare proxy
 * (`node:http` + `undici.request` on a shared `Agent`), `@fastify/http-proxy`, and the relay
 * served by `serveRelay` with an Ed25519 and an HMAC-SHA256 target, with its default
 * verified-token cache and again with `auth.cache: false` (every token verified); the relay
 * clients cycle through `USER_TOKENS` distinct users' tokens. One more case sends the
 * relay's Ed25519 requests to a route of the API that checks them with `createRelayVerifier`
 * (the whole path a real deployment pays). A last row is a relay written by hand for the HMAC
 * target alone, doing the least the same wire format needs: the limit the relay's own rows can
 * be read against. The relay signs and checks tokens on a worker thread of its own (a second
 * core, here); everything else in this group runs on the one event loop. The load generator
 * is an undici `Pool` per server,
 * keeping `IN_FLIGHT` requests in flight; every answer is checked (status 200 and the API's
 * exact body) and its latency recorded, and the p50/p99 of the measured rounds are printed
 * under the table.
 *
 * `setup` checks every path end to end before anything is measured: the API's answer comes
 * back unchanged, the plain paths deliver the client's body as sent, and the relay's forwarded
 * requests carry a `countersign-relay` signature that `verifyRelayRequest` (Ed25519) and a
 * `createRelayVerifier` with the HMAC key accept, with the envelope holding the token's user
 * and the client's data. A request without a token and one with a tampered token must get 401.
 *
 * @module
 */
import { createHmac, createSecretKey, hash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import {
  createKeyRing,
  createMemoryStore,
  generateKeyPair,
  importKey,
  type Key,
} from '@countersign/core'
import { createRelay } from '@countersign/relay'
import { fieldLinesOf, serveRelay, toWebRequest } from '@countersign/relay/node'
import {
  createRelayVerifier,
  type RelayVerifier,
  verifyRelayRequest,
} from '@countersign/relay/verify'
import { createSigningKeys, createUserTokens, verifyUserToken } from '@countersign/tokens'
import proxy from '@fastify/http-proxy'
import Fastify, { type FastifyInstance } from 'fastify'
import { Agent, Pool, request as undiciRequest } from 'undici'
import type { Case, Group, NoteFunction } from '../harness.ts'

/** Requests kept in flight by the load generator (and connections per client pool). */
const IN_FLIGHT = 32
/**
 * Distinct user tokens the relay clients cycle through (one user each), so the relay sees many
 * users rather than one token: with the verified-token cache each is checked once per
 * `maxAgeMs` (60 s), without it every request pays the signature check.
 */
const USER_TOKENS = 1000
const ISSUER = 'https://tokens.example'
const AUDIENCE = 'relay-bench'
const USER = { id: 'user-123', name: 'Ada Lovelace' }
const DATA = { order: 'A-1042', items: [{ sku: 'sku-7', qty: 2 }], note: 'leave at the door' }
/** What the API answers to every request (a small JSON). */
const ANSWER_TEXT = JSON.stringify({ ok: true, id: 'A-1042', status: 'accepted', total: 4200 })
const ANSWER = Buffer.from(ANSWER_TEXT)
const TAG = 'countersign-relay'

const BARE = 'bare undici proxy'
const FASTIFY = '@fastify/http-proxy'
const ED_UNCACHED = 'relay Ed25519, no token cache'
const HMAC_UNCACHED = 'relay HMAC, no token cache'
const HAND = 'hand-written relay (HMAC, same wire format)'

// --- Latencies ----------------------------------------------------------------------------------

/** Per-case request latencies (ms), recorded only in the measured rounds. */
const latencies = new Map<string, number[]>()
let recording = false

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return Number.NaN
  }
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

function stats(name: string): { p50: number; p99: number; n: number } {
  const sorted = Float64Array.from(latencies.get(name) ?? []).sort()
  const values = Array.from(sorted)
  return { p50: percentile(values, 50), p99: percentile(values, 99), n: values.length }
}

const ms = (v: number): string => `${v.toFixed(2)} ms`
const x = (v: number): string => `${v.toFixed(2)}x`

/** The note of a case: its p50/p99, and for relay cases the p99 and fastify targets. */
function latencyNote(
  name: string,
  extra: { prefix?: string; targets?: boolean } = {},
): NoteFunction {
  return (_medians, ratioOf) => {
    const s = stats(name)
    let line = `${extra.prefix ?? ''}p50 ${ms(s.p50)}, p99 ${ms(s.p99)} (${s.n.toLocaleString('en-US')} requests)`
    if (extra.targets) {
      const p99Ratio = s.p99 / stats(BARE).p99
      const vsFastify = ratioOf(name, FASTIFY)
      line +=
        `; p99 <= 1.5x ${BARE}'s: ${p99Ratio <= 1.5 ? 'met' : 'MISSED'} (${x(p99Ratio)})` +
        `; >= 1.0x ${FASTIFY}: ${vsFastify >= 1 ? 'met' : 'MISSED'} (${x(vsFastify)})`
    }
    return line
  }
}

// --- Servers ------------------------------------------------------------------------------------

interface Captured {
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
}

interface Listening {
  server: Server
  url: string
  close(): Promise<void>
}

async function listen(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Listening> {
  const server = createServer({ keepAliveTimeout: 5000 }, listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function answer(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length })
  res.end(ANSWER)
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/**
 * The API. Every path answers ANSWER; under `/api/verify/` it first checks the relay's
 * signature with `verifier`. While `capture` is set, it keeps what it received.
 */
async function startUpstream(verifier: () => RelayVerifier): Promise<
  Listening & {
    captured: Captured[]
    capture: boolean
  }
> {
  const state = { captured: [] as Captured[], capture: false }
  const listening = await listen((req, res) => {
    if (req.url?.startsWith('/api/verify/')) {
      void (async () => {
        const request = await toWebRequest(req)
        if (request instanceof Error) {
          refuse(res, 400, request.message)
          return
        }
        try {
          await verifier().verify(request, { fieldLines: fieldLinesOf(req) })
        } catch (error) {
          refuse(res, 401, error instanceof Error ? error.message : String(error))
          return
        }
        answer(res)
      })()
      return
    }
    readAll(req).then(
      (body) => {
        if (state.capture) {
          state.captured.push({ url: req.url ?? '', headers: req.headers, body })
        }
        answer(res)
      },
      () => refuse(res, 400, 'could not read the body'),
    )
  })
  return Object.assign(state, listening)
}

/** node:http + undici.request on a shared Agent: buffer the body, forward, buffer the answer. */
async function startBareProxy(upstream: string, agent: Agent): Promise<Listening> {
  return listen((req, res) => {
    void (async () => {
      try {
        const body = await readAll(req)
        const up = await undiciRequest(upstream + (req.url ?? '/'), {
          dispatcher: agent,
          method: 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body,
        })
        const out = Buffer.from(await up.body.arrayBuffer())
        const type = up.headers['content-type']
        res.writeHead(up.statusCode, {
          ...(typeof type === 'string' ? { 'content-type': type } : {}),
          'content-length': out.length,
        })
        res.end(out)
      } catch {
        refuse(res, 502, 'upstream failed')
      }
    })()
  })
}

/** POSTs on undici's dispatcher directly (no response stream), buffering the answer. */
function dispatchPost(
  agent: Agent,
  url: URL,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let status = 0
    let type = ''
    agent.dispatch(
      { origin: url.origin, path: url.pathname + url.search, method: 'POST', headers, body },
      {
        onRequestStart() {},
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode
          type = String(responseHeaders['content-type'] ?? '')
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk)
        },
        onResponseEnd() {
          resolve({ status, type, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) })
        },
        onResponseError(_controller, error) {
          reject(error)
        },
      },
    )
  })
}

/**
 * The least a relay can do for the HMAC target, written by hand for this one shape: a bearer
 * token looked up in a map of already-verified tokens, `JSON.parse`, the URL checked against
 * the target's origin and path, the `{ user, data, request }` envelope, `Content-Digest`, an
 * RFC 9421 signature base written as one template string for these four components, one
 * `createHmac`, the request dispatched on a plain undici `Agent` (its dispatcher API, as the
 * relay does), and the answer with the
 * relay's headers. No strict JSON, no SSRF connector, no rate limits, no config, no
 * generality. `setup` checks its requests with `createRelayVerifier` like the relay's.
 */
async function startHandRelay(
  upstream: string,
  agent: Agent,
  users: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
  secret: Uint8Array,
): Promise<Listening> {
  const key = createSecretKey(secret)
  const origin = new URL(upstream).origin
  const prefix = '/api/hmac/'
  return listen((req, res) => {
    void (async () => {
      const authorization = req.headers.authorization
      const user =
        authorization?.startsWith('Bearer ') === true
          ? users.get(authorization.slice(7))
          : undefined
      if (user === undefined) {
        refuse(res, 401, 'not logged in')
        return
      }
      const { url: requested, data } = JSON.parse((await readAll(req)).toString('utf8')) as {
        url: string
        data: unknown
      }
      const url = new URL(requested)
      if (url.origin !== origin || !url.pathname.startsWith(prefix)) {
        refuse(res, 403, 'target forbidden')
        return
      }
      const id = `req_${randomUUID()}`
      const body = Buffer.from(
        JSON.stringify({ user, data, request: { id, time: new Date().toISOString() } }),
      )
      const digest = `sha-256=:${hash('sha256', body, 'base64')}:`
      const created = Math.floor(Date.now() / 1000)
      const params = `("@method" "@target-uri" "content-digest" "content-type");created=${created};keyid="hmac-bench";expires=${created + 60};nonce="${randomUUID()}";tag="${TAG}"`
      const base = `"@method": POST\n"@target-uri": ${url.href}\n"content-digest": ${digest}\n"content-type": application/json\n"@signature-params": ${params}`
      const signature = createHmac('sha256', key).update(base).digest('base64')
      const up = await dispatchPost(agent, url, body, {
        'content-type': 'application/json',
        'content-digest': digest,
        'signature-input': `sig1=${params}`,
        signature: `sig1=:${signature}:`,
      })
      res.writeHead(up.status, {
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
        'x-request-id': id,
        'content-type': up.type,
        'content-length': up.body.length,
      })
      res.end(up.body)
    })().catch(() => refuse(res, 502, 'upstream failed'))
  })
}

// --- State --------------------------------------------------------------------------------------

interface Client {
  pool: Pool
  /** The server's origin (for a load generator in another process). */
  origin: string
  path: string
  headers: Record<string, string>
  body: Buffer
  /** When set, each measured request takes the next of these headers (one user token each). */
  rotate?: Record<string, string>[]
}

interface State {
  upstream: Awaited<ReturnType<typeof startUpstream>>
  bareAgent: Agent
  bare: Listening
  fastify: FastifyInstance
  relay: ReturnType<typeof createRelay>
  relayServer: Awaited<ReturnType<typeof serveRelay>>
  uncachedServer: Awaited<ReturnType<typeof serveRelay>>
  hand: Listening
  clients: Record<string, Client>
}

let st: State | undefined
/** Everything started so far, closed in reverse order by teardown (also after a failed setup). */
const closers: (() => Promise<unknown>)[] = []

function need(): State {
  if (st === undefined) {
    throw new Error('relay bench: setup has not run')
  }
  return st
}

async function send(c: Client, headers = c.headers): Promise<{ status: number; text: string }> {
  const { statusCode, body } = await c.pool.request({
    path: c.path,
    method: 'POST',
    headers,
    body: c.body,
  })
  return { status: statusCode, text: await body.text() }
}

/** One measured request: checks the answer, records the latency in the measured rounds. */
function caseFn(name: string): () => Promise<void> {
  const list: number[] = []
  latencies.set(name, list)
  let next = 0
  return async () => {
    const c = need().clients[name]!
    const headers = c.rotate === undefined ? c.headers : c.rotate[next++ % c.rotate.length]!
    const t0 = performance.now()
    const { statusCode, body } = await c.pool.request({
      path: c.path,
      method: 'POST',
      headers,
      body: c.body,
    })
    const text = await body.text()
    if (recording) {
      list.push(performance.now() - t0)
    }
    if (statusCode !== 200 || text !== ANSWER_TEXT) {
      throw new Error(`${name}: got ${statusCode} ${text.slice(0, 200)}`)
    }
  }
}

// --- Setup and checks ---------------------------------------------------------------------------

/** Starts every server of the group and checks each path end to end. */
export async function setup(): Promise<void> {
  recording = false
  for (const list of latencies.values()) {
    list.length = 0
  }

  // The user token, and the relay's keys.
  const issuer = createUserTokens({ issuer: ISSUER, keys: createSigningKeys() })
  const { token } = await issuer.issueUserToken({ user: USER, audience: AUDIENCE, ttl: '2h' })
  const userTokens = [token]
  for (let i = 1; i < USER_TOKENS; i++) {
    const user = { id: `user-${1000 + i}`, name: USER.name }
    userTokens.push((await issuer.issueUserToken({ user, audience: AUDIENCE, ttl: '2h' })).token)
  }
  const userKeys = createKeyRing(
    await Promise.all((await issuer.jwks()).keys.map((k) => importKey(k))),
  )
  const { privateKey, publicKey } = await generateKeyPair('ed25519', { keyId: 'relay-bench-1' })
  const hmacSecret = new Uint8Array(randomBytes(32))
  const hmacKey: Key = await importKey(hmacSecret, {
    algorithm: 'hmac-sha256',
    keyId: 'hmac-bench',
  })
  const edVerifier = createRelayVerifier({ keys: [publicKey], nonceStore: createMemoryStore() })

  const upstream = await startUpstream(() => edVerifier)
  closers.push(() => upstream.close())
  const bareAgent = new Agent({ connections: 64, keepAliveTimeout: 4000 })
  closers.push(() => bareAgent.close())
  const bare = await startBareProxy(upstream.url, bareAgent)
  closers.push(() => bare.close())
  const fastify = Fastify({ logger: false })
  closers.push(() => fastify.close())
  await fastify.register(proxy, { upstream: upstream.url })
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const fastifyUrl = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`

  const relayOptions = (cache: boolean): Parameters<typeof createRelay>[0] => ({
    keys: createKeyRing([privateKey]),
    auth: {
      type: 'countersign',
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: userKeys,
      ...(cache ? {} : { cache: false }),
    },
    targets: [
      { id: 'ed', baseUrl: `${upstream.url}/api/ed`, allowPrivateNetwork: true, allowHttp: true },
      {
        id: 'hmac',
        baseUrl: `${upstream.url}/api/hmac`,
        allowPrivateNetwork: true,
        allowHttp: true,
        signing: { algorithm: 'hmac-sha256', secret: hmacSecret, keyId: 'hmac-bench' },
      },
      {
        id: 'verify',
        baseUrl: `${upstream.url}/api/verify`,
        allowPrivateNetwork: true,
        allowHttp: true,
      },
    ],
  })
  // The default relay (verified-token cache on) and one that checks every token.
  const relay = createRelay(relayOptions(true))
  closers.push(() => relay.close())
  const relayServer = await serveRelay(relay, { port: 0, host: '127.0.0.1' })
  closers.push(() => relayServer.close())
  const uncached = createRelay(relayOptions(false))
  closers.push(() => uncached.close())
  const uncachedServer = await serveRelay(uncached, { port: 0, host: '127.0.0.1' })
  closers.push(() => uncachedServer.close())
  // The hand-written reference: every user's token verified once, up front, into its map.
  const verifiedUsers = new Map<string, Readonly<Record<string, unknown>>>()
  for (const t of userTokens) {
    const { user } = await verifyUserToken(t, {
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: userKeys,
    })
    const { id, ...claims } = user
    verifiedUsers.set(t, Object.freeze({ user_id: id, ...claims }))
  }
  const handAgent = new Agent({ connections: 64, keepAliveTimeout: 4000 })
  closers.push(() => handAgent.close())
  const hand = await startHandRelay(upstream.url, handAgent, verifiedUsers, hmacSecret)
  closers.push(() => hand.close())

  const pools = new Map<string, Pool>()
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin)
    if (pool === undefined) {
      pool = new Pool(origin, { connections: IN_FLIGHT, keepAliveTimeout: 4000 })
      pools.set(origin, pool)
      const p = pool
      closers.push(() => p.close())
    }
    return pool
  }
  const json = { 'content-type': 'application/json' }
  const relayBody = (route: string): Buffer =>
    Buffer.from(JSON.stringify({ url: `${upstream.url}/api/${route}/orders`, data: DATA }))
  const rotate = userTokens.map((t) => ({ ...json, authorization: `Bearer ${t}` }))
  const relayClient = (route: string, server = relayServer): Client => ({
    pool: poolFor(server.url),
    origin: server.url,
    path: '/secure-request',
    headers: { ...json, authorization: `Bearer ${token}` },
    body: relayBody(route),
    rotate,
  })
  // The plain paths get the same bytes the relay's client sends.
  const plain = relayBody('ed')
  const plainClient = (origin: string): Client => ({
    pool: poolFor(origin),
    origin,
    path: '/api/orders',
    headers: json,
    body: plain,
  })
  const clients: Record<string, Client> = {
    direct: plainClient(upstream.url),
    [BARE]: plainClient(bare.url),
    [FASTIFY]: plainClient(fastifyUrl),
    'relay Ed25519': relayClient('ed'),
    'relay HMAC': relayClient('hmac'),
    [ED_UNCACHED]: relayClient('ed', uncachedServer),
    [HMAC_UNCACHED]: relayClient('hmac', uncachedServer),
    'relay Ed25519, API verifies': relayClient('verify'),
    [HAND]: { ...relayClient('hmac'), pool: poolFor(hand.url), origin: hand.url },
  }
  st = { upstream, bareAgent, bare, fastify, relay, relayServer, uncachedServer, hand, clients }

  // Every path returns the API's answer; the plain ones deliver the body as sent.
  upstream.capture = true
  for (const name of ['direct', BARE, FASTIFY]) {
    upstream.captured.length = 0
    const got = await send(clients[name]!)
    if (got.status !== 200 || got.text !== ANSWER_TEXT) {
      throw new Error(`${name}: expected 200 ${ANSWER_TEXT}, got ${got.status} ${got.text}`)
    }
    const seen = upstream.captured[0]
    if (upstream.captured.length !== 1 || seen?.url !== '/api/orders' || !seen.body.equals(plain)) {
      throw new Error(`${name}: the API did not receive the request as sent`)
    }
  }

  // The relay paths: answer passed back, request signed, envelope right, signature valid.
  const edCheck = (request: Request) =>
    verifyRelayRequest(request, { keys: [publicKey], relayTag: TAG })
  const hmacCheck = (request: Request) =>
    createRelayVerifier({ keys: [hmacKey], relayTag: TAG }).verify(request)
  const checks: [string, string, (request: Request) => Promise<unknown>][] = [
    ['relay Ed25519', 'ed', edCheck],
    ['relay HMAC', 'hmac', hmacCheck],
    [ED_UNCACHED, 'ed', edCheck],
    [HMAC_UNCACHED, 'hmac', hmacCheck],
    [HAND, 'hmac', hmacCheck],
  ]
  for (const [name, route, verify] of checks) {
    upstream.captured.length = 0
    const got = await send(clients[name]!)
    if (got.status !== 200 || got.text !== ANSWER_TEXT) {
      throw new Error(`${name}: expected 200 ${ANSWER_TEXT}, got ${got.status} ${got.text}`)
    }
    const seen = upstream.captured[0]
    if (upstream.captured.length !== 1 || seen === undefined) {
      throw new Error(`${name}: the API saw ${upstream.captured.length} requests, not 1`)
    }
    const input = String(seen.headers['signature-input'] ?? '')
    if (
      seen.url !== `/api/${route}/orders` ||
      !input.includes(`tag="${TAG}"`) ||
      typeof seen.headers.signature !== 'string' ||
      typeof seen.headers['content-digest'] !== 'string'
    ) {
      throw new Error(
        `${name}: the forwarded request is not signed (${input || 'no Signature-Input'})`,
      )
    }
    const envelope = JSON.parse(seen.body.toString('utf8')) as {
      user?: { user_id?: unknown; name?: unknown }
      data?: unknown
    }
    if (
      envelope.user?.user_id !== USER.id ||
      envelope.user.name !== USER.name ||
      !isDeepStrictEqual(envelope.data, DATA)
    ) {
      throw new Error(`${name}: the envelope does not hold the token's user and the data`)
    }
    const request = new Request(`${upstream.url}${seen.url}`, {
      method: 'POST',
      headers: Object.entries(seen.headers).flatMap(([k, v]) =>
        v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v] as [string, string]],
      ),
      body: new Uint8Array(seen.body),
    })
    await verify(request).catch((error: unknown) => {
      throw new Error(`${name}: the forwarded signature does not verify: ${String(error)}`)
    })
  }
  upstream.capture = false
  upstream.captured.length = 0

  // The verifying route accepts the relay's requests (and refuses a replayed nonce: covered by
  // the verifier's own tests, not here). And the relay refuses requests without a valid token.
  const verified = await send(clients['relay Ed25519, API verifies']!)
  if (verified.status !== 200 || verified.text !== ANSWER_TEXT) {
    throw new Error(`relay Ed25519, API verifies: got ${verified.status} ${verified.text}`)
  }
  // Steady state for the cached relay: every user's token verified once (as it would be within
  // the first of its requests in a 60 s window), so the rounds measure hits, not a cold cache.
  const warm = clients['relay Ed25519']!
  for (let i = 0; i < rotate.length; i += IN_FLIGHT) {
    const batch = rotate.slice(i, i + IN_FLIGHT).map((headers) => send(warm, headers))
    for (const got of await Promise.all(batch)) {
      if (got.status !== 200 || got.text !== ANSWER_TEXT) {
        throw new Error(`relay Ed25519: warming the token cache got ${got.status} ${got.text}`)
      }
    }
  }
  upstream.captured.length = 0

  // Both relays have seen `token` by now (the cached one holds it): a tampered copy must still
  // be refused.
  const [h, p, s] = token.split('.') as [string, string, string]
  const flipped = `${h}.${p}.${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`
  for (const name of ['relay Ed25519', ED_UNCACHED]) {
    for (const [what, headers] of [
      ['no token', json],
      ['tampered token', { ...json, authorization: `Bearer ${flipped}` }],
    ] as const) {
      const got = await send(clients[name]!, headers)
      if (got.status !== 401) {
        throw new Error(`${name}: a request with ${what} got ${got.status}, expected 401`)
      }
    }
  }
}

/** Closes everything {@link setup} started. */
export async function teardown(): Promise<void> {
  recording = false
  st = undefined
  const errors: unknown[] = []
  while (closers.length > 0) {
    await closers.pop()!().catch((error: unknown) => errors.push(error))
  }
  if (errors.length > 0) {
    throw errors[0]
  }
}

/** What a load generator in another process sends to one case's server. */
export interface LoadTarget {
  readonly name: string
  readonly url: string
  /** The requests, cycled through (one per user token for the relay's cases). */
  readonly requests: readonly {
    method: 'POST'
    path: string
    headers: Record<string, string>
    body: string
  }[]
  /** The answer every request must get. */
  readonly expectBody: string
}

/** The cases of the group for an outside load generator (after {@link setup}). */
export function loadTargets(): LoadTarget[] {
  return Object.entries(need().clients).map(([name, c]) => ({
    name,
    url: c.origin,
    requests: (c.rotate ?? [c.headers]).map((headers) => ({
      method: 'POST' as const,
      path: c.path,
      headers,
      body: c.body.toString('utf8'),
    })),
    expectBody: ANSWER_TEXT,
  }))
}

/** The names of the plain proxy and the hand-written relay rows (the ratios' references). */
export const REFERENCE_CASES = { bare: BARE, hand: HAND } as const

// --- The group ----------------------------------------------------------------------------------

const relayCase = (name: string, extra: Partial<Case> = {}): Case => ({
  name,
  fn: caseFn(name),
  concurrency: IN_FLIGHT,
  note: latencyNote(name),
  ...extra,
})

export const groups: Group[] = [
  {
    name: 'relay/forward (loopback)',
    setup,
    afterWarmup: () => {
      for (const list of latencies.values()) {
        list.length = 0
      }
      recording = true
    },
    teardown,
    compareTo: BARE,
    baseline: relayCase('direct', {
      note: latencyNote('direct', { prefix: 'POST straight to the API (no proxy); ' }),
    }),
    peers: [
      relayCase(BARE, {
        note: latencyNote(BARE, {
          prefix: 'node:http + undici.request on a shared Agent, bodies buffered; ',
        }),
      }),
      relayCase(FASTIFY, { note: latencyNote(FASTIFY, { prefix: 'default options; ' }) }),
      relayCase('relay Ed25519', {
        target: { ratio: 0.6, of: BARE },
        note: latencyNote('relay Ed25519', {
          prefix: `default options: verified-token cache on, ${USER_TOKENS.toLocaleString('en-US')} users' tokens in turn; `,
          targets: true,
        }),
      }),
      relayCase('relay HMAC', {
        target: { ratio: 0.8, of: BARE },
        note: latencyNote('relay HMAC', { prefix: 'default options, as above; ', targets: true }),
      }),
      relayCase(ED_UNCACHED, {
        target: { ratio: 0.6, of: BARE },
        note: latencyNote(ED_UNCACHED, {
          prefix: 'auth.cache: false (every token verified); ',
          targets: true,
        }),
      }),
      relayCase(HMAC_UNCACHED, {
        target: { ratio: 0.8, of: BARE },
        note: latencyNote(HMAC_UNCACHED, {
          prefix: 'auth.cache: false (every token verified); ',
          targets: true,
        }),
      }),
      relayCase(HAND, {
        note: latencyNote(HAND, {
          prefix:
            'the least a relay can do here: tokens already verified in a map, JSON.parse, one template-string signature base, one createHmac; ',
          targets: true,
        }),
      }),
      relayCase('relay Ed25519, API verifies', {
        note: latencyNote('relay Ed25519, API verifies', {
          prefix: 'the API checks each request with createRelayVerifier (not a target); ',
        }),
      }),
    ],
  },
]
