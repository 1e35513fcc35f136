/**
 * Signs the `RequestInit` a caller is about to pass to `fetch`, without building a `Request`
 * for the common bodies (none, a string, bytes): the fast path of {@link signRequestInit}.
 *
 * @module
 */
import { type FieldLine, utf8 } from '@countersign/core'
import { fieldSourceOf } from '../create-signer.ts'
import type { SignedRequestInit } from '../types.ts'
import type { Plan } from './plan.ts'
import { signFields, withSignedFields } from './sign-message.ts'

/** The methods Fetch uppercases (its "normalize a method"); others are sent as written. */
const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'])

/** The method as `fetch` will send it. */
function fetchMethod(method: unknown): string {
  if (method === undefined) {
    return 'GET'
  }
  if (typeof method !== 'string' || method.length === 0) {
    throw new TypeError('init.method must be a non-empty string')
  }
  const upper = method.toUpperCase()
  return NORMALIZED.has(upper) ? upper : method
}

function hasField(lines: readonly FieldLine[], name: string): boolean {
  return lines.some((line) => line[0].toLowerCase() === name)
}

/** The body bytes and field lines exactly as `fetch` would send them. */
async function extract(
  url: string | URL,
  init: RequestInit,
  method: string,
): Promise<{ lines: FieldLine[]; bytes: Uint8Array | undefined; body: BodyInit | undefined }> {
  const { body } = init
  if (body === undefined || body === null) {
    return { lines: [...fieldSourceOf(init.headers as never)], bytes: undefined, body: undefined }
  }
  if (method === 'GET' || method === 'HEAD') {
    throw new TypeError(`a ${method} request cannot have a body`)
  }
  if (typeof body === 'string') {
    const lines = [...fieldSourceOf(init.headers as never)]
    if (!hasField(lines, 'content-type')) {
      lines.push(['content-type', 'text/plain;charset=UTF-8']) // what fetch adds for a string
    }
    return { lines, bytes: utf8(body), body }
  }
  if (body instanceof Uint8Array || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    const bytes = ArrayBuffer.isView(body)
      ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
      : new Uint8Array(body)
    return { lines: [...fieldSourceOf(init.headers as never)], bytes, body: bytes as BodyInit }
  }
  // Streams, Blob, FormData, URLSearchParams: let a Request extract the bytes and the
  // Content-Type exactly as fetch would, and send those bytes.
  const { signal: _signal, window: _window, ...rest } = init as RequestInit & { window?: unknown }
  const request = new Request(url, { ...rest, method })
  const bytes = new Uint8Array(await request.arrayBuffer())
  return { lines: [...request.headers], bytes, body: bytes as BodyInit }
}

/** Signs a `RequestInit` for `url` by a plan. */
export async function signInitWith(
  url: string | URL,
  init: RequestInit | undefined,
  plan: Plan,
): Promise<SignedRequestInit> {
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError('url must be an absolute URL (a string or a URL)')
  }
  if (init !== undefined && (typeof init !== 'object' || init === null)) {
    throw new TypeError('init must be a RequestInit object or absent')
  }
  const options = init ?? {}
  const method = fetchMethod(options.method)
  const { lines, bytes, body } = await extract(url, options, method)
  const fields = await signFields(
    { kind: 'request', method, url, headers: lines, body: bytes },
    plan,
  )
  const { duplex: _duplex, body: _body, ...rest } = options as RequestInit & { duplex?: unknown }
  const out: SignedRequestInit = { ...rest, method, headers: withSignedFields(lines, fields) }
  if (body !== undefined) {
    out.body = body
  }
  return out
}
