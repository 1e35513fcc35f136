/**
 * Verifying a request forwarded by the relay, on the API that receives it. Web APIs only: runs
 * in Node, Deno, Bun and Workers.
 *
 * @module
 */
import {
  type Algorithm,
  type ConsumeOnceStore,
  createMemoryStore,
  type FieldLine,
  isJsonObject,
  type Key,
  type KeyRing,
  parseJsonStrict,
  parseMediaType,
  RequestError,
  SignatureError,
} from '@countersign/core'
import { createVerifier } from '../create-verifier.ts'
import type { KeyResolver, Verifier } from '../types.ts'
import { createRelayKeyResolver } from './remote-keys.ts'

/** The `tag` parameter of every signature the Countersign relay makes. */
export const RELAY_SIGNATURE_TAG = 'countersign-relay'

/** The components every relay signature covers, in order (all are required when verifying). */
export const RELAY_COMPONENTS: readonly string[] = [
  '@method',
  '@target-uri',
  'content-digest',
  'content-type',
]
const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['user', 'data', 'request', 'api_key'])
const DECODER = new TextDecoder('utf-8', { fatal: true })

/** Options of {@link verifyRelayRequest} and {@link createRelayVerifier}. */
export interface VerifyRelayRequestOptions {
  /**
   * The keys: for an `ed25519` target, the relay's public keys (a key ring, keys, or a `keyid`
   * resolver such as {@link createRelayKeyResolver}'s); for an `hmac-sha256` target, the shared
   * secret imported with `importKey(secret, { algorithm: 'hmac-sha256', keyId })`. Give this or
   * `jwksUrl`.
   */
  keys?: KeyResolver | KeyRing | readonly Key[]
  /** The relay's JWKS URL (`https://relay.example/.well-known/jwks.json`), fetched and cached. */
  jwksUrl?: string
  /** The signature tag to accept. Default `countersign-relay`. */
  relayTag?: string
  /**
   * Where used nonces are remembered. Default: one in-memory store shared by every call in this
   * process; behind a load balancer pass a shared store (Redis, SQLite) so a replay to another
   * instance is caught too.
   */
  nonceStore?: ConsumeOnceStore
  /** How old a signature's `created` may be, in seconds. Default 300 (the relay's own expire after 60). */
  maxAgeSeconds?: number
  /** The largest body read, in bytes. Default 1 MiB. */
  maxBodyBytes?: number
  /** The deepest JSON nesting accepted in the body. Default 64. */
  maxJsonDepth?: number
  /** The raw header lines as received (Node: pairs from `req.rawHeaders`), for exact duplicates. */
  fieldLines?: readonly FieldLine[]
}

/** Per-call options of a {@link RelayVerifier}. */
export interface VerifyRelayCallOptions {
  /** The raw header lines of this request (see {@link VerifyRelayRequestOptions.fieldLines}). */
  fieldLines?: readonly FieldLine[]
}

/** What a verified relay request carries. */
export interface VerifiedRelayRequest<TData = unknown> {
  /** The end user the relay authenticated: `user_id` plus claims. */
  user: { user_id: string; [claim: string]: unknown }
  /** The caller's `data`, as JSON. */
  data: TData
  /** The relay's id for this request (log it; it is in the relay's audit trail too). */
  requestId: string
  /** When the relay received the request (ISO 8601). */
  time: string
  /** The key id the relay signed with (a relay key, or the HMAC key id). */
  keyId: string
  /** The signature algorithm, taken from the key. */
  algorithm: Algorithm
  /** The `api_key` of a skapi-compatible target, when the relay sent one. */
  apiKey?: string
}

/** A reusable relay-request verifier from {@link createRelayVerifier}. */
export interface RelayVerifier {
  /** Verifies one request; see {@link verifyRelayRequest}. */
  verify<TData = unknown>(
    request: Request,
    options?: VerifyRelayCallOptions,
  ): Promise<VerifiedRelayRequest<TData>>
}

let sharedNonceStore: ConsumeOnceStore | undefined
const remoteResolvers = new Map<string, KeyResolver>()
const compiled = new WeakMap<VerifyRelayRequestOptions, RelayVerifier>()

function malformed(message: string): RequestError {
  return new RequestError('malformed', message)
}

function resolverFor(options: VerifyRelayRequestOptions): KeyResolver | KeyRing {
  const { keys, jwksUrl } = options
  if ((keys === undefined) === (jwksUrl === undefined)) {
    throw new TypeError('verifyRelayRequest: give exactly one of keys or jwksUrl')
  }
  if (jwksUrl !== undefined) {
    let resolver = remoteResolvers.get(jwksUrl)
    if (resolver === undefined) {
      resolver = createRelayKeyResolver(jwksUrl)
      remoteResolvers.set(jwksUrl, resolver)
    }
    return resolver
  }
  if (Array.isArray(keys)) {
    const byId = new Map<string, Key>()
    for (const key of keys as readonly Key[]) {
      byId.set(key.keyId, key)
    }
    return (keyId) => byId.get(keyId)
  }
  return keys as KeyResolver | KeyRing
}

/** Parses the envelope strictly: `{ user: { user_id, … }, data, request: { id, time }, api_key? }`. */
function parseEnvelope(
  body: Uint8Array,
  maxDepth: number,
): Omit<VerifiedRelayRequest, 'keyId' | 'algorithm'> {
  let text: string
  try {
    text = DECODER.decode(body)
  } catch {
    throw new RequestError('invalid_json', 'the relay envelope is not UTF-8')
  }
  const value = parseJsonStrict(text, { maxDepth })
  if (!isJsonObject(value)) {
    throw malformed('the relay envelope must be a JSON object')
  }
  for (const key of Object.keys(value)) {
    if (!ENVELOPE_KEYS.has(key)) {
      throw malformed(`the relay envelope has an unknown field ${JSON.stringify(key)}`)
    }
  }
  const { user, request, api_key: apiKey } = value
  if (!isJsonObject(user) || typeof user.user_id !== 'string' || user.user_id.length === 0) {
    throw malformed('the relay envelope has no user with a user_id')
  }
  if (!('data' in value)) {
    throw malformed('the relay envelope has no data')
  }
  if (
    !isJsonObject(request) ||
    typeof request.id !== 'string' ||
    request.id.length === 0 ||
    typeof request.time !== 'string' ||
    Object.keys(request).some((k) => k !== 'id' && k !== 'time')
  ) {
    throw malformed('the relay envelope has no valid request { id, time }')
  }
  if (apiKey !== undefined && typeof apiKey !== 'string') {
    throw malformed('the relay envelope api_key must be a string')
  }
  return {
    user: user as VerifiedRelayRequest['user'],
    data: value.data,
    requestId: request.id,
    time: request.time,
    ...(apiKey === undefined ? {} : { apiKey }),
  }
}

/**
 * Creates a verifier for requests forwarded by the relay: options are checked and compiled
 * once, and remote keys are cached.
 *
 * @example
 * ```ts
 * const relay = createRelayVerifier({ jwksUrl: 'https://relay.example/.well-known/jwks.json', nonceStore })
 * const { user, data, requestId } = await relay.verify(request)
 * ```
 *
 * @throws `TypeError` when the options are invalid.
 */
export function createRelayVerifier(options: VerifyRelayRequestOptions): RelayVerifier {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('verifyRelayRequest: options must be an object')
  }
  const tag = options.relayTag ?? RELAY_SIGNATURE_TAG
  const maxJsonDepth = options.maxJsonDepth ?? 64
  if (!Number.isSafeInteger(maxJsonDepth) || maxJsonDepth < 2) {
    throw new TypeError('verifyRelayRequest: maxJsonDepth must be an integer of at least 2')
  }
  sharedNonceStore ??= createMemoryStore()
  const verifier: Verifier = createVerifier({
    keys: resolverFor(options),
    requiredComponents: RELAY_COMPONENTS,
    requireNonce: true,
    tag,
    nonceStore: options.nonceStore ?? sharedNonceStore,
    ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.fieldLines === undefined ? {} : { fieldLines: options.fieldLines }),
  })
  return {
    async verify<TData = unknown>(
      request: Request,
      call: VerifyRelayCallOptions = {},
    ): Promise<VerifiedRelayRequest<TData>> {
      if (!(request instanceof Request)) {
        throw new TypeError('expected a Request')
      }
      if (request.method !== 'POST') {
        throw malformed('relay requests are POST')
      }
      if (parseMediaType(request.headers.get('content-type'))?.essence !== 'application/json') {
        throw new RequestError('unsupported_media_type', 'relay requests are application/json')
      }
      const verified = await verifier.verifyRequest(
        request,
        call.fieldLines === undefined ? {} : { fieldLines: call.fieldLines },
      )
      if (verified.params.tag !== tag) {
        throw new SignatureError('signature_missing', 'the signature does not carry the relay tag')
      }
      if (typeof verified.params.expires !== 'number') {
        throw new SignatureError(
          'signature_invalid',
          'the relay signature has no expires parameter',
        )
      }
      for (const component of RELAY_COMPONENTS) {
        if (!verified.components.includes(`"${component}"`)) {
          throw new SignatureError(
            'component_missing',
            `the relay signature does not cover ${component}`,
          )
        }
      }
      const envelope = parseEnvelope(verified.body, maxJsonDepth)
      return {
        ...envelope,
        data: envelope.data as TData,
        keyId: verified.keyId,
        algorithm: verified.algorithm,
      }
    },
  }
}

/**
 * Verifies a request forwarded by the Countersign relay and returns what it carries: checks
 * the RFC 9421 signature tagged `countersign-relay` (covering `@method`, `@target-uri`,
 * `content-digest` and `content-type`, with `created`, `expires`, `nonce` and `keyid`), the
 * body digest, the time window and the single-use nonce, then parses the envelope
 * `{ user, data, request: { id, time } }` strictly.
 *
 * The request URL must be the URL the relay called (the signature covers it): behind a proxy
 * that changes scheme, host or path, rebuild the `Request` with the public URL first. Options
 * are compiled once per options object, so keep one object (or use {@link createRelayVerifier}).
 *
 * @example
 * ```ts
 * import { verifyRelayRequest } from '@countersign/relay/verify'
 *
 * const options = { jwksUrl: 'https://relay.example/.well-known/jwks.json', nonceStore }
 * const { user, data, requestId } = await verifyRelayRequest(request, options)
 * ```
 *
 * @throws {@link @countersign/core!SignatureError} `signature_missing`, `signature_invalid`, `signature_expired`,
 *   `component_missing`, `digest_missing`, `digest_mismatch`, `replayed`, `key_unknown`,
 *   `algorithm_mismatch` (401); {@link @countersign/core!RequestError} `malformed`, `invalid_json` (400),
 *   `unsupported_media_type` (415), `body_too_large` (413); {@link @countersign/core!StoreError}
 *   `store_unavailable` (503); `TypeError` for invalid options.
 */
export function verifyRelayRequest<TData = unknown>(
  request: Request,
  options: VerifyRelayRequestOptions,
): Promise<VerifiedRelayRequest<TData>> {
  let verifier = typeof options === 'object' && options !== null ? compiled.get(options) : undefined
  if (verifier === undefined) {
    verifier = createRelayVerifier(options)
    compiled.set(options, verifier)
  }
  return verifier.verify<TData>(request)
}
