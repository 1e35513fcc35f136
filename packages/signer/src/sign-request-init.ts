/**
 * One-shot signing of the arguments a caller is about to pass to `fetch`.
 *
 * @module
 */

import { createPlan } from './internal/plan.ts'
import { signInitWith } from './internal/sign-init.ts'
import type { SignedRequestInit, SignRequestOptions } from './types.ts'

/**
 * Signs the request that `fetch(url, init)` would send and returns the `init` to send instead:
 * the same options, the headers as `[name, value]` lines with `Signature-Input`, `Signature`
 * and (with a body) `Content-Digest` set, and the body. It signs what {@link signRequest} signs,
 * but for no body, a string or bytes it builds no `Request` and reads no stream, so it is the
 * fast path for `fetch` callers. Other bodies (streams, `Blob`, `FormData`, `URLSearchParams`)
 * are read once into bytes, with the `Content-Type` fetch would give them, and the returned
 * `init` carries those bytes.
 *
 * The method is normalized as fetch normalizes it (`post` is sent and signed as `POST`), and a
 * string body without a `Content-Type` gets fetch's `text/plain;charset=UTF-8`, which is then
 * signed. Send the returned `init` unchanged. For many requests use {@link createSigner}'s
 * `signRequestInit`.
 *
 * @example
 * ```ts
 * const url = 'https://api.example.com/v1/orders'
 * const init = await signRequestInit(
 *   url,
 *   { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":1}' },
 *   { key },
 * )
 * await fetch(url, init)
 * ```
 *
 * @throws `TypeError` for invalid options, a URL that is not absolute, a `GET`/`HEAD` with a
 *   body, a covered field missing from the request, or a `Content-Digest` in `init.headers`
 *   that does not match the body.
 */
export async function signRequestInit(
  url: string | URL,
  init: RequestInit | undefined,
  options: SignRequestOptions,
): Promise<SignedRequestInit> {
  return signInitWith(url, init, createPlan(options, 'request'))
}
