/**
 * Reusable signers: options checked, components parsed and keys imported once.
 *
 * @module
 */
import type { HttpMessage } from '@countersign/core'
import { createPlan, type Plan, withCallOptions } from './internal/plan.ts'
import { readBody, signParts } from './internal/sign-message.ts'
import type {
  SignCallOptions,
  Signer,
  SignRequestOptions,
  SignResponseCallOptions,
  SignResponseOptions,
} from './types.ts'

/**
 * Creates a signer for many messages. Options are checked once (a mistake throws here, not on the
 * first request), components are parsed once, and key material given as `{ material, … }` is
 * imported once, on first use.
 *
 * @example
 * ```ts
 * const signer = createSigner({ key, tag: 'orders-api' })
 * const signed = await signer.signRequest(new Request(url, { method: 'POST', body }))
 * await fetch(signed)
 * ```
 *
 * @throws `TypeError` when an option is invalid (unknown option, bad label, unsupported
 *   component, public key, missing key).
 */
export function createSigner(options: SignResponseOptions): Signer {
  const requestPlan = createPlan(stripResponseOnly(options), 'request')
  const responsePlan = createPlan(options, 'response')
  return {
    async signRequest(request: Request, call?: SignCallOptions): Promise<Request> {
      return signRequestWith(request, withCallOptions(requestPlan, call, options))
    },
    async signResponse(response: Response, call?: SignResponseCallOptions): Promise<Response> {
      const related = call?.request ?? options.request
      return signResponseWith(response, withCallOptions(responsePlan, call, options), related)
    },
  }
}

function stripResponseOnly(options: SignResponseOptions): SignRequestOptions {
  if (typeof options !== 'object' || options === null) {
    return options
  }
  const { request: _request, ...rest } = options
  return rest
}

/** Signs a request by a plan. */
export async function signRequestWith(request: Request, plan: Plan): Promise<Request> {
  if (!(request instanceof Request)) {
    throw new TypeError('expected a Request')
  }
  const body = await readBody(request)
  const headers = await signParts(
    {
      kind: 'request',
      body,
      headers: new Headers(request.headers),
      view: (h) => ({ method: request.method, url: request.url, headers: h }),
    },
    plan,
  )
  return body === undefined
    ? new Request(request, { headers })
    : new Request(request, { headers, body: body as BodyInit })
}

/** Signs a response by a plan. */
export async function signResponseWith(
  response: Response,
  plan: Plan,
  related: Request | HttpMessage | undefined,
): Promise<Response> {
  if (!(response instanceof Response)) {
    throw new TypeError('expected a Response')
  }
  const request = related === undefined ? undefined : requestMessage(related)
  const body = await readBody(response)
  const headers = await signParts(
    {
      kind: 'response',
      body,
      headers: new Headers(response.headers),
      view: (h) => ({
        status: response.status,
        headers: h,
        ...(request === undefined ? {} : { request }),
      }),
    },
    plan,
  )
  return new Response(body === undefined ? null : (body as BodyInit), {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
}

function requestMessage(related: Request | HttpMessage): HttpMessage {
  if (related instanceof Request) {
    return { method: related.method, url: related.url, headers: related.headers }
  }
  if (typeof related !== 'object' || related === null || related.headers === undefined) {
    throw new TypeError('request must be a Request or an HttpMessage')
  }
  return related
}
