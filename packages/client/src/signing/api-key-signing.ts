/**
 * The API-key compatibility preset for {@link Client.fetch}.
 *
 * @module
 */
import { signApiKey } from '@countersign/signer'
import type { Signing } from '../types.ts'

/**
 * Options of {@link apiKeySigning}.
 *
 * @example
 * ```ts
 * const options: ApiKeySigningOptions = { apiKey, header: 'x-api-key' }
 * ```
 */
export interface ApiKeySigningOptions {
  /** The API key. */
  apiKey: string
  /** The header carrying it. Default `authorization` (the bare key, as Icypeas expects). */
  header?: string
}

/**
 * Adds an API key to every {@link Client.fetch} request (`Authorization: <key>` by default),
 * for APIs that authenticate with the key alone. This proves possession of the key only,
 * nothing about the request; prefer {@link rfc9421Signing}.
 *
 * @example
 * ```ts
 * const client = createClient({ signing: apiKeySigning({ apiKey }) })
 * const me = await client.fetch('https://api.example.com/v1/me')
 * ```
 *
 * @throws `TypeError` when `apiKey` is not visible ASCII without `,`, or `header` is not a
 *   field name.
 */
export function apiKeySigning(options: ApiKeySigningOptions): Signing {
  const { apiKey, header } = options ?? {}
  if (typeof apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(apiKey) || apiKey.includes(',')) {
    throw new TypeError('apiKeySigning: apiKey must be visible ASCII without ","')
  }
  if (
    header !== undefined &&
    (typeof header !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header))
  ) {
    throw new TypeError('apiKeySigning: header must be an HTTP field name')
  }
  const signOptions = header === undefined ? { apiKey } : { apiKey, header }
  return (request) => signApiKey(request, signOptions)
}
