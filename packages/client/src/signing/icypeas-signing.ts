/**
 * The Icypeas compatibility preset for {@link Client.fetch}.
 *
 * @module
 */
import { signIcypeas } from '@countersign/signer'
import type { Signing } from '../types.ts'

/**
 * Options of {@link icypeasSigning}.
 *
 * @example
 * ```ts
 * const options: IcypeasSigningOptions = { apiKey: 'key', secret: 'secret' }
 * ```
 */
export interface IcypeasSigningOptions {
  /** The API key, sent before the colon in `Authorization`. */
  apiKey: string
  /** The API secret (the HMAC key, as UTF-8). Keep it server-side. */
  secret: string
}

/**
 * Signs {@link Client.fetch} requests the way Icypeas expects (legacy, for servers that
 * require it): the hex HMAC-SHA1 of lowercase(method + pathname + timestamp), sent as
 * `Authorization: <apiKey>:<signature>` with `X-ROCK-TIMESTAMP` (the servers' time). It covers
 * neither the query nor the body; prefer {@link rfc9421Signing} wherever the server accepts it.
 *
 * @example
 * ```ts
 * const client = createClient({ signing: icypeasSigning({ apiKey, secret }) })
 * await client.fetch('https://app.icypeas.com/api/a/actions/subscription-information', {
 *   method: 'POST',
 * })
 * ```
 *
 * @throws `TypeError` when `apiKey` is not visible ASCII without `:` or `,`, or `secret` is
 *   not a non-empty string.
 */
export function icypeasSigning(options: IcypeasSigningOptions): Signing {
  const { apiKey, secret } = options ?? {}
  if (typeof apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(apiKey) || /[:,]/.test(apiKey)) {
    throw new TypeError('icypeasSigning: apiKey must be visible ASCII without ":" or ","')
  }
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('icypeasSigning: secret must be a non-empty string')
  }
  return (request, { now }) => signIcypeas(request, { apiKey, secret, timestamp: new Date(now) })
}
