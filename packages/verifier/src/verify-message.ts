/**
 * One-shot verification of a request given as plain parts.
 *
 * @module
 */

import type { ReceivedRequest, VerifiedRequest, VerifyRequestOptions } from './types.ts'
import { verifierForOptions } from './verify-request.ts'

/**
 * Verifies an RFC 9421 signed request given as plain parts: the method, the absolute URL, the
 * fields (best as the `[name, value]` lines received, so duplicates are caught exactly) and the
 * exact body bytes. It applies the same checks as {@link verifyRequest}, without a Fetch
 * `Request`: the fast path for server adapters, which have these parts already.
 *
 * Options are compiled once per options object; prefer {@link createVerifier} and its
 * `verifyMessage`.
 *
 * @example
 * ```ts
 * const verified = await verifyMessage(
 *   { method: 'POST', url: 'https://api.example.com/v1/orders', headers: lines, body },
 *   { keys: (keyId) => keys.get(keyId) },
 * )
 * ```
 *
 * @throws the errors of {@link verifyRequest}; `body_too_large` (413) when `body` is longer than
 *   `maxBodyBytes`; `TypeError` for invalid options or message parts.
 */
export async function verifyMessage(
  message: ReceivedRequest,
  options: VerifyRequestOptions,
): Promise<VerifiedRequest> {
  return verifierForOptions(options).verifyMessage(message)
}
