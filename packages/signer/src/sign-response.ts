/**
 * One-shot response signing.
 *
 * @module
 */
import { signResponseWith } from './create-signer.ts'
import { createPlan } from './internal/plan.ts'
import type { SignResponseOptions } from './types.ts'

/**
 * Signs a response and returns a new `Response` with `Signature-Input`, `Signature` and, when
 * there is a body, `Content-Digest`. By default the signature covers `@status`, `content-digest`
 * and `content-type`; pass `request` and components with `;req` (e.g. `"@method";req`,
 * `"content-digest";req`) to bind the response to the request it answers (RFC 9421 §2.4).
 *
 * @example
 * ```ts
 * const signed = await signResponse(Response.json({ ok: true }), {
 *   key,
 *   request,
 *   components: ['@status', 'content-digest', 'content-type', '"@method";req', '"@target-uri";req'],
 * })
 * ```
 *
 * @throws `TypeError` for invalid options, a covered component missing from the response or the
 *   request, or a body that was already read.
 */
export async function signResponse(
  response: Response,
  options: SignResponseOptions,
): Promise<Response> {
  const { request, ...rest } = options ?? ({} as SignResponseOptions)
  return signResponseWith(response, createPlan(rest, 'response'), request)
}
