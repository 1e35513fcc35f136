/**
 * Strict verification of the legacy Icypeas scheme: HMAC-SHA1 over
 * lowercase(method + pathname + timestamp), `Authorization: apiKey:signature`,
 * `X-ROCK-TIMESTAMP: <ISO 8601 UTC>`.
 *
 * @module
 */
import {
  type ConsumeOnceStore,
  type FieldLine,
  fromHex,
  importKey,
  isCountersignError,
  RequestError,
  SignatureError,
  StoreError,
  timingSafeEqual,
  utf8,
} from '@countersign/core'
import { fieldsOf } from './internal/fields.ts'

/** Options of {@link verifyIcypeas}. */
export interface VerifyIcypeasOptions {
  /** The secret of an API key, or `undefined` when the key is unknown. */
  secrets: (apiKey: string) => string | undefined | Promise<string | undefined>
  /** How old the timestamp may be, in seconds. Default 300. */
  maxAgeSeconds?: number
  /** How far in the future the timestamp may be, in seconds. Default 60. */
  maxFutureSeconds?: number
  /**
   * When given, each signature is accepted once within the window (the scheme has no nonce, so
   * two identical requests in the same millisecond would collide; off by default).
   */
  nonceStore?: ConsumeOnceStore
  /** The raw field lines, from an adapter (exact duplicate detection). */
  fieldLines?: readonly FieldLine[]
}

/** What a verified Icypeas request proved. */
export interface VerifiedIcypeasRequest {
  /** The API key that signed. */
  apiKey: string
  /** The signed timestamp. */
  timestamp: Date
}

/** `YYYY-MM-DDTHH:MM:SS(.sss)?Z`, nothing else (no offsets, no lowercase, no extra digits). */
export const ICYPEAS_TIMESTAMP: RegExp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/
const SIGNATURE_HEX = /^[0-9a-fA-F]{40}$/
const API_KEY = /^[\x21-\x7e]{1,256}$/

/** Parses a timestamp that matches {@link ICYPEAS_TIMESTAMP} and names a real instant. */
function parseTimestamp(value: string): Date {
  if (!ICYPEAS_TIMESTAMP.test(value)) {
    throw new RequestError('malformed', 'X-ROCK-TIMESTAMP is not an ISO 8601 UTC timestamp')
  }
  const year = Number(value.slice(0, 4))
  const month = Number(value.slice(5, 7))
  const day = Number(value.slice(8, 10))
  const hour = Number(value.slice(11, 13))
  const minute = Number(value.slice(14, 16))
  const second = Number(value.slice(17, 19))
  const fraction = value.length > 20 ? value.slice(20, -1) : ''
  const ms = fraction === '' ? 0 : Number(fraction.padEnd(3, '0'))
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  const date = new Date(time)
  if (
    Number.isNaN(time) ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw new RequestError('malformed', 'X-ROCK-TIMESTAMP is not a real instant')
  }
  return date
}

/**
 * Verifies a request signed with the Icypeas scheme, strictly: the scheme lowercases the whole
 * payload and joins its parts without separators, so this verifier refuses what would make two
 * different requests share a MAC. The path must already be lowercase, the method uppercase, the
 * timestamp in the exact format (which fixes where the path ends) and inside the window. The
 * MAC is compared in constant time. Query and body are not covered by the scheme.
 *
 * @example
 * ```ts
 * const { apiKey } = await verifyIcypeas(request, { secrets: (k) => secretFor(k) })
 * ```
 *
 * @throws SignatureError `signature_missing` (no `Authorization` / `X-ROCK-TIMESTAMP`),
 *   `signature_invalid` (bad MAC, uppercase path, lowercase method), `signature_expired`
 *   (outside the window), `key_unknown`, `replayed`; RequestError `malformed`,
 *   `duplicate_header`; StoreError when the secret lookup or the store fails.
 */
export async function verifyIcypeas(
  request: Request,
  options: VerifyIcypeasOptions,
): Promise<VerifiedIcypeasRequest> {
  if (!(request instanceof Request)) {
    throw new TypeError('expected a Request')
  }
  if (typeof options !== 'object' || options === null || typeof options.secrets !== 'function') {
    throw new TypeError('verifyIcypeas options need secrets: (apiKey) => secret | undefined')
  }
  const maxAge = options.maxAgeSeconds ?? 300
  const maxFuture = options.maxFutureSeconds ?? 60
  if (!(maxAge > 0) || !(maxFuture >= 0)) {
    throw new TypeError('maxAgeSeconds must be positive and maxFutureSeconds non-negative')
  }
  const fields = fieldsOf(request, options.fieldLines, [
    'authorization',
    'x-rock-timestamp',
    'host',
  ])
  const authorization = fields.get('authorization')
  const stamp = fields.get('x-rock-timestamp')
  if (authorization === null || stamp === null) {
    throw new SignatureError('signature_missing', 'Authorization and X-ROCK-TIMESTAMP are required')
  }
  if (authorization.includes(',') || stamp.includes(',')) {
    throw new RequestError(
      'duplicate_header',
      'Authorization or X-ROCK-TIMESTAMP appears more than once',
    )
  }
  const colon = authorization.lastIndexOf(':')
  const apiKey = authorization.slice(0, colon)
  const hex = authorization.slice(colon + 1)
  if (colon < 1 || !API_KEY.test(apiKey) || !SIGNATURE_HEX.test(hex)) {
    throw new RequestError('malformed', 'Authorization must be apiKey:signature (40 hex digits)')
  }
  const timestamp = parseTimestamp(stamp)
  const now = Date.now()
  if (timestamp.getTime() > now + maxFuture * 1000) {
    throw new SignatureError('signature_expired', 'X-ROCK-TIMESTAMP is in the future')
  }
  if (timestamp.getTime() < now - maxAge * 1000) {
    throw new SignatureError(
      'signature_expired',
      `X-ROCK-TIMESTAMP is older than ${maxAge} seconds`,
    )
  }
  const method = request.method
  const path = new URL(request.url).pathname
  if (method !== method.toUpperCase()) {
    throw new SignatureError(
      'signature_invalid',
      'icypeas signatures cannot tell a lowercase method from its uppercase form',
    )
  }
  if (path !== path.toLowerCase()) {
    throw new SignatureError(
      'signature_invalid',
      'icypeas signatures cannot tell this path from its lowercase form',
    )
  }
  let secret: string | undefined
  try {
    secret = await options.secrets(apiKey)
  } catch (cause) {
    throw isCountersignError(cause)
      ? cause
      : new StoreError('store_unavailable', 'the secret lookup failed', { cause })
  }
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new SignatureError('key_unknown', 'unknown API key')
  }
  const key = await importKey(utf8(secret), { algorithm: 'hmac-sha1', keyId: 'icypeas' })
  const payload = utf8(`${method}${path}${stamp}`.toLowerCase())
  const expected = key.signSync === undefined ? await key.sign(payload) : key.signSync(payload)
  if (!timingSafeEqual(expected, fromHex(hex))) {
    throw new SignatureError('signature_invalid', 'the icypeas signature does not verify')
  }
  if (options.nonceStore !== undefined) {
    let fresh: boolean
    try {
      fresh = await options.nonceStore.consumeOnce(
        `icypeas:${apiKey.length}:${apiKey}:${hex.toLowerCase()}`,
        (maxAge + maxFuture) * 1000 + 1000,
      )
    } catch (cause) {
      throw cause instanceof StoreError
        ? cause
        : new StoreError('store_unavailable', 'the nonce store failed', { cause })
    }
    if (!fresh) {
      throw new SignatureError('replayed', 'this icypeas signature was already used')
    }
  }
  return { apiKey, timestamp }
}
