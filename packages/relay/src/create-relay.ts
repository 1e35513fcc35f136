/**
 * The relay handler: authenticate the end user, check the requested URL against the registered
 * targets, sign a `{ user, data, request }` envelope with RFC 9421 and forward it over the
 * SSRF-guarded agent, then answer with what the target said.
 *
 * @module
 */

import { Buffer } from 'node:buffer'
import {
  createKeyRing,
  createMemoryStore,
  type FieldLine,
  importKey,
  isJsonObject,
  type Key,
  type KeyRing,
  parseJsonStrict,
  RequestError,
  traceparentOf,
  utf8,
  type WindowCounterStore,
} from '@countersign/core'
import { createSigner, type SignedFields, type Signer } from '@countersign/signer'
import { RELAY_COMPONENTS, RELAY_SIGNATURE_TAG } from '@countersign/verifier'
import type { Agent } from 'undici'
import { emitAudit } from './audit.ts'
import { createRelayAuthenticator } from './auth/create-authenticator.ts'
import { snapshotRelayOptions } from './config/snapshot-relay-options.ts'
import { checkRelayOptions, decodeSecret } from './config/validate-relay-config.ts'
import {
  BASE_HEADERS,
  baseHeaders,
  jsonAnswer,
  parseMediaType,
  problemAnswer,
  problemBody,
  problemResponse,
  readCappedBody,
} from './internal/http.ts'
import { isoNow } from './internal/iso-now.ts'
import { randomId } from './internal/random-id.ts'
import { checkRateLimits } from './internal/rate-limit.ts'
import {
  RELAY_CORE,
  type RelayAnswer,
  type RelayCore,
  type RelayInput,
  toResponse,
  type WithRelayCore,
} from './internal/relay-input.ts'
import { createSignWorker, type SigningProfile, type SignWorker } from './internal/sign-worker.ts'
import { postUpstream } from './internal/upstream.ts'
import { createGuardedAgent } from './ssrf/guarded-agent.ts'
import { createTargetMatcher, type MatchableTarget } from './targets/match-target.ts'
import type {
  RelayAuditEvent,
  RelayHandler,
  RelayOptions,
  RelayTarget,
  RelayUser,
} from './types.ts'

/** The fields of a forwarded envelope before signing (the signature covers `content-type`). */
const ENVELOPE_FIELDS: readonly FieldLine[] = Object.freeze([
  Object.freeze(['content-type', 'application/json'] as const),
])

const DEFAULTS = {
  maxRequestBytes: 64 * 1024,
  maxJsonDepth: 32,
  maxBatchSize: 10,
  signatureTtlSeconds: 60,
  connectTimeoutMs: 5000,
  timeoutMs: 10_000,
  maxBodyBytes: 1024 * 1024,
  batchConcurrency: 4,
}

/** An empty header set, shared (never written to). */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>

const FORM_TYPES: ReadonlySet<string> = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
])
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([204, 205, 304])
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i
const DECODER = new TextDecoder('utf-8', { fatal: true })

interface CompiledTarget extends MatchableTarget {
  readonly config: RelayTarget
  /** Signs a forward: on the relay's worker, or on the event loop when it cannot. */
  readonly sign: (url: URL, body: Uint8Array) => Promise<SignedFields>
  readonly agent: Agent
  readonly timeoutMs: number
  readonly maxBodyBytes: number
}

/** The outcome of one forwarded item: the target's answer or the relay's problem. */
interface ItemResult {
  status: number
  contentType: string | undefined
  body: Uint8Array
  headers: Record<string, string>
  targetId?: string
  code?: RelayAuditEvent['code']
  bytesIn: number
}

interface Item {
  url: unknown
  data: unknown
}

function problemItem(error: unknown, headers: Record<string, string> = {}): ItemResult {
  const body = problemBody(error)
  return {
    status: body.status as number,
    contentType: 'application/problem+json',
    body: utf8(JSON.stringify(body)),
    headers,
    code: body.code as RelayAuditEvent['code'],
    bytesIn: 0,
  }
}

function parseItem(value: unknown, where: string): Item {
  if (!isJsonObject(value)) {
    throw new RequestError('malformed', `${where}must be an object { "url": …, "data": … }`)
  }
  for (const key of Object.keys(value)) {
    if (key !== 'url' && key !== 'data') {
      throw new RequestError('malformed', `${where}has an unknown field ${JSON.stringify(key)}`)
    }
  }
  if (typeof value.url !== 'string') {
    throw new RequestError('malformed', `${where}url must be a string`)
  }
  return { url: value.url, data: value.data === undefined ? null : value.data }
}

function checkContentType(input: RelayInput): void {
  const value = input.header('content-type')
  if (value === 'application/json') {
    return // what clients send (and what secureRequest sends)
  }
  const type = parseMediaType(value)
  if (type === undefined) {
    throw new RequestError(
      'unsupported_media_type',
      'send { "url", "data" } as JSON with Content-Type: application/json',
    )
  }
  if (FORM_TYPES.has(type.essence)) {
    throw new RequestError(
      'unsupported_media_type',
      'HTML forms are not supported: send { "url", "data" } as JSON with Content-Type: application/json',
    )
  }
  if (type.essence !== 'application/json') {
    throw new RequestError(
      'unsupported_media_type',
      `Content-Type ${type.essence} is not supported: send JSON (application/json)`,
    )
  }
  const charset = type.params.get('charset')
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    throw new RequestError('unsupported_media_type', 'JSON must be UTF-8')
  }
}

async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

function toKeyRing(keys: RelayOptions['keys']): KeyRing | undefined {
  if (keys === undefined) {
    return undefined
  }
  return Array.isArray(keys) ? createKeyRing(keys) : (keys as KeyRing)
}

function compileTarget(
  target: RelayTarget,
  ring: KeyRing | undefined,
  options: RelayOptions,
  ttl: number,
  signWorker: SignWorker,
): CompiledTarget {
  const timeoutMs = target.timeoutMs ?? DEFAULTS.timeoutMs
  const common = {
    components: RELAY_COMPONENTS,
    tag: RELAY_SIGNATURE_TAG,
    expiresIn: ttl,
    digest: 'sha-256' as const,
  }
  // The signer on the event loop, and what the worker needs to sign the same way: the same
  // options, and the key to sign with now.
  let signer: Signer
  let profileOptions: SigningProfile['options'] = common
  let keyNow: () => Key | undefined
  const signing = target.signing ?? {}
  if (signing.algorithm === 'hmac-sha256') {
    const secret = signing.secret
    const keyId = signing.keyId ?? target.id
    let bytes: Uint8Array | undefined
    if (secret instanceof Uint8Array) {
      bytes = secret
    } else if (typeof secret === 'string') {
      bytes = decodeSecret(secret)
      if (bytes === undefined) {
        throw new TypeError(`targets: ${target.id}: signing.secret must be unpadded base64url`)
      }
    } else if (secret === undefined) {
      throw new TypeError(`targets: ${target.id}: signing.secret is required for hmac-sha256`)
    }
    if (bytes !== undefined) {
      const material = { material: bytes, algorithm: 'hmac-sha256' as const, keyId }
      signer = createSigner({ ...common, key: material })
      // The worker signs once the secret is imported here (the event loop signs until then).
      let imported: Key | undefined
      importKey(bytes, { algorithm: 'hmac-sha256', keyId }).then(
        (key) => {
          imported = key
        },
        () => undefined,
      )
      keyNow = () => imported
    } else {
      const key = secret as Key
      const keyid = signing.keyId ?? key.keyId
      signer = createSigner({ ...common, key, keyid })
      profileOptions = { ...common, keyid }
      keyNow = () => key
    }
  } else {
    if (ring === undefined) {
      throw new TypeError('keys: required because a target signs with ed25519')
    }
    signer = createSigner({ ...common, keyring: ring })
    keyNow = () => {
      try {
        return ring.signingKey()
      } catch {
        return undefined // no key can sign now: the event loop's signer says so
      }
    }
  }
  const profile: SigningProfile = { options: profileOptions, fields: ENVELOPE_FIELDS }
  const sign = (url: URL, body: Uint8Array): Promise<SignedFields> =>
    signWorker.signMessage(profile, keyNow(), url, body, () =>
      signer.signMessage({ method: 'POST', url, headers: ENVELOPE_FIELDS, body }),
    )
  return {
    id: target.id,
    baseUrl: target.baseUrl,
    allowPrivateNetwork: target.allowPrivateNetwork === true,
    config: target,
    sign,
    agent: createGuardedAgent({
      allowPrivateNetwork: target.allowPrivateNetwork === true,
      ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
      connectTimeoutMs: Math.min(options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, timeoutMs),
    }),
    timeoutMs,
    maxBodyBytes: target.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
  }
}

/**
 * Creates the relay: a Web-standard handler `(request) => Promise<Response>` with these routes.
 *
 * | Route | Answer |
 * | --- | --- |
 * | `POST /secure-request` | JSON `{ url, data }`: the target's status, content type and body. A JSON array of them (a batch): `200` with an array of `{ status, body }` in the same order, where `body` is the target's JSON (or text) or the relay's problem object for that item. |
 * | `OPTIONS /secure-request` | CORS preflight, when `cors` is configured |
 * | `GET /.well-known/jwks.json` | the public keys of the relay's key ring (all that still verify, so rotation overlaps) |
 * | `GET /healthz` | `{ "status": "ok" }` |
 *
 * Every relay failure is RFC 9457 `application/problem+json` with a stable `code`:
 * `not_logged_in` 401, `unsupported_media_type` 415, `body_too_large` 413, `invalid_json`
 * and `malformed` 400, `target_forbidden` 403, `rate_limited` 429 (with `RateLimit-Policy`,
 * `RateLimit` and `Retry-After`), `upstream_unreachable` 502, `upstream_error` 502 (including
 * any 3xx: redirects are never followed), `upstream_too_large` 502, `upstream_timeout` 504,
 * `store_unavailable` 503.
 *
 * The target receives `POST` with `Content-Type: application/json`, `Content-Digest`, and an
 * RFC 9421 signature tagged `countersign-relay` over `@method`, `@target-uri`,
 * `content-digest` and `content-type` (with `created`, `expires`, `nonce`, `keyid`), and the
 * body `{ "user": { "user_id", …claims }, "data", "request": { "id", "time" } }` (plus
 * `api_key` for `skapiCompat` targets). None of the caller's headers are forwarded. Verify it
 * with `verifyRelayRequest` from `@countersign/verifier`.
 *
 * @example
 * ```ts
 * const relay = createRelay({
 *   keys: [relayKey],
 *   auth: { type: 'countersign', issuer: 'https://tokens.example', audience: 'my-app', jwksUrl },
 *   targets: [{ id: 'orders', baseUrl: 'https://api.example.com/v1' }],
 *   rateLimit: { perUser: { limit: 60, windowMs: 60_000 } },
 * })
 * const response = await relay(request)
 * ```
 *
 * @throws {@link RelayConfigError} (a `TypeError`) listing every problem with `options`.
 */
export function createRelay(input: RelayOptions): RelayHandler {
  // Read once: what is validated is what runs, whatever the caller does with `input` later.
  const options = snapshotRelayOptions(input)
  checkRelayOptions(options)
  const ring = toKeyRing(options.keys)
  const ttl = options.signatureTtlSeconds ?? DEFAULTS.signatureTtlSeconds
  const signWorker = createSignWorker()
  const targets = options.targets.map((target) =>
    compileTarget(target, ring, options, ttl, signWorker),
  )
  const matcher = createTargetMatcher(targets)
  // Token signatures are checked on the signing worker too (a cache miss costs ~50 µs inline).
  const auth = createRelayAuthenticator(options.auth, signWorker.verify)
  const store: WindowCounterStore = options.store ?? createMemoryStore()
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULTS.maxRequestBytes
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULTS.maxJsonDepth
  const maxBatchSize = options.maxBatchSize ?? DEFAULTS.maxBatchSize
  const allowedOrigins = new Set(options.cors?.allowedOrigins ?? [])
  const audit = options.audit
  const rateLimit = options.rateLimit

  const corsHeaders = (input: RelayInput): Record<string, string> => {
    if (allowedOrigins.size === 0) {
      return NO_HEADERS // no CORS configured: nothing to read or add
    }
    const origin = input.header('origin')
    if (origin === null || !allowedOrigins.has(origin)) {
      return allowedOrigins.size > 0 ? { vary: 'origin' } : {}
    }
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'ratelimit, ratelimit-policy, retry-after, x-request-id',
      vary: 'origin',
    }
  }

  const forwardItem = async (
    user: RelayUser,
    item: Item,
    requestId: string,
    time: string,
    traceparent?: string,
  ): Promise<ItemResult> => {
    let targetId: string | undefined
    let rateHeaders: Record<string, string> = {}
    let bytesIn = 0
    try {
      const { target, url } = matcher.match(item.url)
      targetId = target.id
      if (rateLimit !== undefined) {
        const limited = await checkRateLimits(store, rateLimit, user.user_id, target.id)
        rateHeaders = limited.headers
        if (limited.error !== undefined) {
          return { ...problemItem(limited.error, rateHeaders), targetId }
        }
      }
      const envelope: Record<string, unknown> = {
        user,
        data: item.data,
        request: { id: requestId, time },
      }
      if (target.config.skapiCompat !== undefined) {
        envelope.api_key = target.config.skapiCompat.apiKey
      }
      const body = Buffer.from(JSON.stringify(envelope), 'utf8')
      bytesIn = body.byteLength
      if (body.byteLength > target.maxBodyBytes) {
        throw new RequestError(
          'body_too_large',
          `the request for target ${target.id} is larger than ${target.maxBodyBytes} bytes`,
        )
      }
      // Sign the exact envelope bytes (on the worker): no Request is built or cloned; the
      // fields come back as strings and go straight to undici.
      const signed = await target.sign(url, body)
      const headers: Record<string, string> = {
        'user-agent': 'countersign-relay',
        'accept-encoding': 'identity',
        'content-type': 'application/json',
        'signature-input': signed['signature-input'],
        signature: signed.signature,
      }
      if (signed['content-digest'] !== undefined) {
        headers['content-digest'] = signed['content-digest']
      }
      if (traceparent !== undefined) {
        headers.traceparent = traceparent
      }
      const answer = await postUpstream(target.agent, url, headers, body, {
        timeoutMs: target.timeoutMs,
        maxBodyBytes: target.maxBodyBytes,
      })
      return {
        status: answer.status,
        contentType: answer.contentType,
        body: answer.body,
        headers: rateHeaders,
        targetId,
        bytesIn,
      }
    } catch (error) {
      const result = problemItem(error, rateHeaders)
      return { ...result, bytesIn, ...(targetId === undefined ? {} : { targetId }) }
    }
  }

  const secureRequest = async (
    input: RelayInput,
    request: Request | undefined,
    cors: Record<string, string>,
  ): Promise<RelayAnswer> => {
    const started = audit === undefined ? 0 : performance.now()
    const time = isoNow()
    const requestId = `req_${randomId()}`
    let userId: string | undefined
    let bytesIn = 0
    const finish = (response: RelayAnswer, bytesOut: number, extra: Partial<RelayAuditEvent>) => {
      if (audit === undefined) {
        return response
      }
      emitAudit(audit, {
        time,
        requestId,
        ...(userId === undefined ? {} : { userId }),
        status: response.status,
        latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
        bytesIn,
        bytesOut,
        ...extra,
      })
      return response
    }
    const fail = (error: unknown, headers: Record<string, string> = {}) => {
      const body = problemBody(error)
      const text = JSON.stringify(body)
      const extra: Record<string, string> = {}
      if (body.code === 'not_logged_in') {
        extra['www-authenticate'] = 'Bearer'
      }
      const response: RelayAnswer = {
        status: body.status as number,
        headers: {
          ...BASE_HEADERS,
          'content-type': 'application/problem+json',
          'x-request-id': requestId,
          ...extra,
          ...headers,
          ...cors,
        },
        body: text,
      }
      return finish(response, utf8(text).byteLength, { code: body.code as RelayAuditEvent['code'] })
    }

    let user: RelayUser
    let parsed: unknown
    // W3C trace context goes on to the API, once validated (an invalid one is dropped).
    const traceparent = traceparentOf(input.header('traceparent'))?.value
    try {
      user =
        auth.fromHeader !== undefined
          ? await auth.fromHeader(input.header('authorization'))
          : await auth.fromRequest(request as Request)
      userId = user.user_id
      checkContentType(input)
      const bytes = await input.readBody(maxRequestBytes)
      bytesIn = bytes.byteLength
      let text: string
      try {
        text = DECODER.decode(bytes)
      } catch {
        throw new RequestError('invalid_json', 'the body is not valid UTF-8')
      }
      parsed = parseJsonStrict(text, { maxDepth: maxJsonDepth })
    } catch (error) {
      return fail(error)
    }

    if (!Array.isArray(parsed)) {
      let item: Item
      try {
        item = parseItem(parsed, '')
      } catch (error) {
        return fail(error)
      }
      const result = await forwardItem(user, item, requestId, time, traceparent)
      const headers = answerHeaders(requestId, result, cors)
      const response: RelayAnswer = {
        status: result.status,
        headers,
        body: NULL_BODY_STATUSES.has(result.status) ? null : result.body,
      }
      return finish(response, result.body.byteLength, {
        ...(result.targetId === undefined ? {} : { targetId: result.targetId }),
        ...(result.code === undefined ? {} : { code: result.code }),
      })
    }

    // A batch.
    let items: Item[]
    try {
      if (parsed.length === 0) {
        throw new RequestError('malformed', 'a batch must hold at least one request')
      }
      if (parsed.length > maxBatchSize) {
        throw new RequestError('malformed', `a batch holds at most ${maxBatchSize} requests`)
      }
      items = parsed.map((value, i) => parseItem(value, `[${i}]: `))
    } catch (error) {
      return fail(error)
    }
    const batchStarted = started
    const results = await runPool(items, DEFAULTS.batchConcurrency, async (item, i) => {
      const itemId = `${requestId}.${i}`
      const result = await forwardItem(user, item, itemId, time, traceparent)
      emitAudit(audit, {
        time,
        requestId: itemId,
        batchId: requestId,
        userId: user.user_id,
        ...(result.targetId === undefined ? {} : { targetId: result.targetId }),
        status: result.status,
        ...(result.code === undefined ? {} : { code: result.code }),
        latencyMs: Math.round((performance.now() - batchStarted) * 1000) / 1000,
        bytesIn: result.bytesIn,
        bytesOut: result.body.byteLength,
      })
      return result
    })
    const answer = results.map((result) => ({ status: result.status, body: decodeBody(result) }))
    const text = JSON.stringify(answer)
    return {
      status: 200,
      headers: {
        ...BASE_HEADERS,
        'content-type': 'application/json',
        'x-request-id': requestId,
        ...cors,
      },
      body: text,
    }
  }

  const route = (
    input: RelayInput,
    request: Request | undefined,
  ): RelayAnswer | Promise<RelayAnswer> => {
    const { pathname, method } = input
    switch (pathname) {
      case '/secure-request': {
        const cors = corsHeaders(input)
        if (method === 'OPTIONS' && allowedOrigins.size > 0) {
          const allowed = 'access-control-allow-origin' in cors
          return {
            status: 204,
            body: null,
            headers: allowed
              ? {
                  ...cors,
                  'access-control-allow-methods': 'POST',
                  'access-control-allow-headers': 'authorization, content-type',
                  'access-control-max-age': String(options.cors?.maxAgeSeconds ?? 600),
                }
              : cors,
          }
        }
        if (method !== 'POST') {
          return problemAnswer(new RequestError('method_not_allowed', 'use POST'), {
            allow: allowedOrigins.size > 0 ? 'POST, OPTIONS' : 'POST',
            ...cors,
          })
        }
        return secureRequest(input, request, cors)
      }
      case '/.well-known/jwks.json':
        if (method !== 'GET' && method !== 'HEAD') {
          return problemAnswer(new RequestError('method_not_allowed', 'use GET'), {
            allow: 'GET, HEAD',
          })
        }
        return {
          status: 200,
          headers: {
            'content-type': 'application/jwk-set+json',
            'cache-control': 'public, max-age=300',
            'x-content-type-options': 'nosniff',
          },
          body: method === 'HEAD' ? null : JSON.stringify(ring?.jwks() ?? { keys: [] }),
        }
      case '/healthz':
        if (method !== 'GET' && method !== 'HEAD') {
          return problemAnswer(new RequestError('method_not_allowed', 'use GET'), {
            allow: 'GET, HEAD',
          })
        }
        return jsonAnswer(200, { status: 'ok' })
      default:
        return problemAnswer(new RequestError('not_found', 'no such route'))
    }
  }

  const handler = (async (request: Request): Promise<Response> => {
    try {
      if (!(request instanceof Request)) {
        throw new TypeError('the relay handles Request objects')
      }
      const input: RelayInput = {
        method: request.method,
        pathname: new URL(request.url).pathname,
        header: (name) => request.headers.get(name),
        readBody: (maxBytes) => readCappedBody(request, maxBytes),
      }
      return toResponse(await route(input, request))
    } catch (error) {
      return problemResponse(error)
    }
  }) as RelayHandler & WithRelayCore
  if (auth.fromHeader !== undefined) {
    // The same routes without a Web Request/Response, for the node:http server: only when the
    // auth reads nothing but the Authorization header (a custom hook gets a real Request).
    const core: RelayCore = async (input) => {
      try {
        return await route(input, undefined)
      } catch (error) {
        return problemAnswer(error)
      }
    }
    Object.defineProperty(handler, RELAY_CORE, { value: core })
  }
  handler.close = async () => {
    await Promise.all([...targets.map((target) => target.agent.close()), signWorker.close()])
  }
  return handler
}

/** The relay's headers on a single answer: the usual case (no rate limit or CORS headers) as a literal. */
function answerHeaders(
  requestId: string,
  result: ItemResult,
  cors: Record<string, string>,
): Record<string, string> {
  let headers: Record<string, string>
  if (isEmpty(result.headers) && isEmpty(cors)) {
    headers = baseHeaders()
    headers['x-request-id'] = requestId
  } else {
    headers = { ...BASE_HEADERS, 'x-request-id': requestId, ...result.headers, ...cors }
  }
  if (result.contentType !== undefined) {
    headers['content-type'] = result.contentType
  }
  return headers
}

function isEmpty(record: Record<string, string>): boolean {
  for (const _ in record) {
    return false
  }
  return true
}

function decodeBody(result: ItemResult): unknown {
  let text: string
  try {
    text = DECODER.decode(result.body)
  } catch {
    return new TextDecoder().decode(result.body)
  }
  const essence = result.contentType?.split(';')[0]?.trim() ?? ''
  if (JSON_TYPE.test(essence)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}
