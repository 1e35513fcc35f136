/**
 * The API-key compatibility preset: a key sent alone, checked by its hash.
 *
 * @module
 */
import {
  AuthError,
  type FieldLine,
  hashSecret,
  isCountersignError,
  RequestError,
  StoreError,
  timingSafeEqual,
  utf8,
} from '@countersign/core'
import { fieldsOf } from './internal/fields.ts'

/** A stored API key: at least its hash (core `hashSecret`: base64url SHA-256). */
export interface ApiKeyRecord {
  /** `hashSecret(apiKey)`. */
  hash: string
}

/** Options of {@link verifyApiKeyRequest}. */
export interface VerifyApiKeyRequestOptions<T extends ApiKeyRecord = ApiKeyRecord> {
  /** Finds a stored key by `hashSecret(presentedKey)`: `undefined` when unknown. Never sees the key. */
  lookup: (hash: string) => T | undefined | Promise<T | undefined>
  /** The header carrying the key. Default `authorization` (bare key, or `Bearer <key>`). */
  header?: string
  /** The raw field lines, from an adapter (exact duplicate detection). */
  fieldLines?: readonly FieldLine[]
}

/**
 * The old name of {@link VerifyApiKeyRequestOptions}.
 *
 * @deprecated Use `VerifyApiKeyRequestOptions`; this alias goes in the next minor version.
 */
export type VerifyApiKeyOptions<T extends ApiKeyRecord = ApiKeyRecord> =
  VerifyApiKeyRequestOptions<T>

/** What a verified API key proved. */
export interface VerifiedApiKey<T extends ApiKeyRecord = ApiKeyRecord> {
  /** The hash of the presented key. */
  hash: string
  /** The stored record. */
  record: T
}

const KEY = /^[\x21-\x7e]{1,512}$/
const BEARER = /^bearer[ \t]+/i

/**
 * Checks an API key sent alone (`Authorization: <key>`, as Icypeas' key-only mode, or
 * `Bearer <key>`). The key is hashed (core `hashSecret`), looked up by hash, and the stored hash
 * compared with the computed one in constant time, so the store never holds or sees raw keys.
 * This proves possession of the key only, nothing about the request.
 *
 * Named for what it checks, a request: `@countersign/tokens`' `apiKeys.verifyApiKey(key)`
 * checks a key string against its own store and answers with a result code instead.
 *
 * @example
 * ```ts
 * const { record } = await verifyApiKeyRequest(request, { lookup: (hash) => db.apiKeys.get(hash) })
 * ```
 *
 * @throws AuthError `api_key_invalid` (missing, malformed or unknown key); RequestError
 *   `duplicate_header`; StoreError when the lookup fails.
 */
export async function verifyApiKeyRequest<T extends ApiKeyRecord>(
  request: Request,
  options: VerifyApiKeyRequestOptions<T>,
): Promise<VerifiedApiKey<T>> {
  if (!(request instanceof Request)) {
    throw new TypeError('expected a Request')
  }
  if (typeof options !== 'object' || options === null || typeof options.lookup !== 'function') {
    throw new TypeError('verifyApiKeyRequest options need lookup: (hash) => record | undefined')
  }
  const header = (options.header ?? 'authorization').toLowerCase()
  const fields = fieldsOf(request, options.fieldLines, [header, 'host'])
  const raw = fields.get(header)
  if (raw === null) {
    throw new AuthError('api_key_invalid', 'no API key')
  }
  if (raw.includes(',')) {
    throw new RequestError('duplicate_header', `${header} appears more than once`)
  }
  const presented = raw.replace(BEARER, '')
  if (!KEY.test(presented)) {
    throw new AuthError('api_key_invalid', 'malformed API key')
  }
  const hash = await hashSecret(presented)
  let record: T | undefined
  try {
    record = await options.lookup(hash)
  } catch (cause) {
    throw isCountersignError(cause)
      ? cause
      : new StoreError('store_unavailable', 'the API key lookup failed', { cause })
  }
  if (
    record === undefined ||
    record === null ||
    typeof record.hash !== 'string' ||
    !timingSafeEqual(utf8(record.hash), utf8(hash))
  ) {
    throw new AuthError('api_key_invalid', 'unknown API key')
  }
  return { hash, record }
}

/**
 * The old name of {@link verifyApiKeyRequest}.
 *
 * @deprecated Use `verifyApiKeyRequest`; this alias goes in the next minor version.
 */
export const verifyApiKey: typeof verifyApiKeyRequest = verifyApiKeyRequest
