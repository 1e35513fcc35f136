/**
 * One-shot request signing.
 *
 * @module
 */
import { signRequestWith } from './create-signer.ts'
import { createPlan } from './internal/plan.ts'
import type { SignRequestOptions } from './types.ts'

/**
 * Signs a request with RFC 9421 HTTP Message Signatures and returns a new `Request` carrying
 * `Signature-Input`, `Signature` and, when there is a body, an RFC 9530 `Content-Digest`. The
 * body is read once from a clone, so the caller's request stays unread and usable.
 *
 * By default the signature covers `@method`, `@target-uri`, `content-digest` (with a body) and
 * `content-type` (when present), with `created` (now), a random `nonce` and `keyid`.
 *
 * For many requests use {@link createSigner}, which checks options and imports keys once.
 *
 * @example
 * ```ts
 * const key = await importKey(secret, { algorithm: 'hmac-sha256', keyId: 'client-1' })
 * const signed = await signRequest(
 *   new Request('https://api.example.com/v1/orders', { method: 'POST', body: '{"id":1}' }),
 *   { key },
 * )
 * await fetch(signed)
 * ```
 *
 * @throws `TypeError` for invalid options, a covered field missing from the request, a body that
 *   was already read, or a `Content-Digest` on the request that does not match its body.
 */
export async function signRequest(request: Request, options: SignRequestOptions): Promise<Request> {
  return signRequestWith(request, createPlan(options, 'request'))
}
