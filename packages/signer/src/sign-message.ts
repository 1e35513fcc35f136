/**
 * One-shot signing of a request given as plain parts.
 *
 * @module
 */
import { signMessageWith } from './create-signer.ts'
import { createPlan } from './internal/plan.ts'
import type { RequestMessage, SignedFields, SignRequestOptions } from './types.ts'

/**
 * Signs a request given as plain parts (method, URL, fields, body bytes) and returns the fields
 * to add: `content-digest` (when the signer added one), `signature-input` and `signature`. It
 * does what {@link signRequest} does without cloning or building a `Request`, so it suits HTTP
 * clients that take plain options (`undici.request`, `node:http`) and hot paths.
 *
 * Set every returned field on the request you send, replacing any value already there, and send
 * exactly `message.body`. For many requests use {@link createSigner}'s `signMessage`, which checks
 * options and imports keys once.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ sku: 'A-1' })
 * const headers = { 'content-type': 'application/json' }
 * const url = 'https://api.example.com/v1/orders'
 * const signed = await signMessage({ method: 'POST', url, headers, body }, { key })
 * await fetch(url, { method: 'POST', headers: { ...headers, ...signed }, body })
 * ```
 *
 * @throws `TypeError` for invalid options or message parts, a covered field missing from the
 *   message, or a `Content-Digest` on the message that does not match its body.
 */
export async function signMessage(
  message: RequestMessage,
  options: SignRequestOptions,
): Promise<SignedFields> {
  return signMessageWith(message, createPlan(options, 'request'))
}
