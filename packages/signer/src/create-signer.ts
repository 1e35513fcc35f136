/**
 * Reusable signers: options checked, components parsed and keys imported once.
 *
 * @module
 */
import { type FieldLine, type HttpMessage, utf8 } from '@countersign/core'
import { createPlan, type Plan, withCallOptions } from './internal/plan.ts'
import { signInitWith } from './internal/sign-init.ts'
import {
  type FieldSource,
  readBody,
  signFields,
  withSignedFields,
} from './internal/sign-message.ts'
import type {
  RequestMessage,
  SignCallOptions,
  SignedFields,
  SignedRequestInit,
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
    signMessage(message: RequestMessage, call?: SignCallOptions): Promise<SignedFields> {
      return signMessageWith(message, withCallOptions(requestPlan, call, options))
    },
    signRequestInit(
      url: string | URL,
      init?: RequestInit,
      call?: SignCallOptions,
    ): Promise<SignedRequestInit> {
      return signInitWith(url, init, withCallOptions(requestPlan, call, options))
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
  // Signed from the field lines of the request's Headers (lowercase names, values combined as
  // `get` combines them: the same signature base), so the only `Headers` built is the new
  // Request's own.
  const lines: FieldLine[] = [...request.headers]
  const fields = await signFields(
    { kind: 'request', method: request.method, url: request.url, headers: lines, body },
    plan,
  )
  const headers = withSignedFields(lines, fields)
  return body === undefined
    ? new Request(request, { headers })
    : new Request(request, { headers, body: body as BodyInit })
}

function setFields(headers: Headers, fields: SignedFields): void {
  for (const [name, value] of Object.entries(fields)) {
    headers.set(name, value as string)
  }
}

function isFieldLines(value: unknown): value is readonly FieldLine[] {
  return Array.isArray(value)
}

/** Checks a {@link RequestMessage}'s headers and returns them as a field source. */
export function fieldSourceOf(headers: RequestMessage['headers']): FieldSource {
  if (headers === undefined || headers === null) {
    return []
  }
  if (headers instanceof Headers) {
    return headers
  }
  if (isFieldLines(headers)) {
    for (const line of headers) {
      if (!Array.isArray(line) || typeof line[0] !== 'string' || typeof line[1] !== 'string') {
        throw new TypeError('message.headers lines must be [name, value] pairs of strings')
      }
    }
    return headers
  }
  if (typeof headers !== 'object') {
    throw new TypeError('message.headers must be a Headers, [name, value] lines or a record')
  }
  const lines: FieldLine[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new TypeError(`message.headers.${name} must be a string`)
    }
    lines.push([name, value])
  }
  return lines
}

/** Signs a request given as plain parts by a plan. */
export async function signMessageWith(message: RequestMessage, plan: Plan): Promise<SignedFields> {
  if (typeof message !== 'object' || message === null) {
    throw new TypeError('expected a message object { method, url, headers?, body? }')
  }
  const { method, url, body } = message
  if (typeof method !== 'string' || method.length === 0) {
    throw new TypeError('message.method must be a non-empty string')
  }
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError('message.url must be an absolute URL (a string or a URL)')
  }
  let bytes: Uint8Array | undefined
  if (typeof body === 'string') {
    bytes = utf8(body)
  } else if (body instanceof Uint8Array) {
    bytes = body
  } else if (body !== undefined && body !== null) {
    throw new TypeError('message.body must be a Uint8Array, a string or absent')
  }
  return signFields(
    { kind: 'request', method, url, headers: fieldSourceOf(message.headers), body: bytes },
    plan,
  )
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
  const fields = await signFields(
    {
      kind: 'response',
      status: response.status,
      headers: response.headers,
      body,
      ...(request === undefined ? {} : { request }),
    },
    plan,
  )
  const headers = new Headers(response.headers)
  setFields(headers, fields)
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
