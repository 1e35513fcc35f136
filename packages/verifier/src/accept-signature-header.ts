/**
 * The `Accept-Signature` value a server sends with a 401 (RFC 9421 §5.1).
 *
 * @module
 */
import {
  type Algorithm,
  type BareItem,
  isCountersignError,
  parseComponentIdentifier,
  serializeAcceptSignature,
  validateComponents,
} from '@countersign/core'

/** Options of {@link acceptSignatureHeader}. */
export interface AcceptSignatureOptions {
  /** The label the signature should use. Default `sig1`. */
  label?: string
  /**
   * Components to ask for. Default `@method`, `@target-uri`, plus `content-digest` when
   * `request` has a body and `content-type` when it has one (both when no request is given).
   */
  components?: readonly string[]
  /** The request being refused, to tailor the default components. */
  request?: Request
  /** Ask for a signature by this key id. */
  keyid?: string
  /** Ask for this algorithm. */
  alg?: Algorithm
  /** Ask for this tag. */
  tag?: string
  /** Ask for `created`. Default `true`. */
  created?: boolean
  /** Ask for a `nonce`. Default `true`. */
  nonce?: boolean
}

/**
 * Builds an `Accept-Signature` value telling a client how to sign, for a 401 answer.
 *
 * @example
 * ```ts
 * return new Response(null, {
 *   status: 401,
 *   headers: { 'accept-signature': acceptSignatureHeader({ request, tag: 'orders-api' }) },
 * })
 * // sig1=("@method" "@target-uri" "content-digest" "content-type");created;nonce;tag="orders-api"
 * ```
 *
 * @throws `TypeError` for an invalid label, component or parameter.
 */
export function acceptSignatureHeader(options: AcceptSignatureOptions = {}): string {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('acceptSignatureHeader options must be an object')
  }
  const { label = 'sig1', request, keyid, alg, tag, created = true, nonce = true } = options
  let names = options.components
  if (names === undefined) {
    const withBody = request === undefined || request.body !== null
    const withType = request === undefined || request.headers.has('content-type')
    names = [
      '@method',
      '@target-uri',
      ...(withBody ? ['content-digest'] : []),
      ...(withType ? ['content-type'] : []),
    ]
  }
  const params = new Map<string, BareItem>()
  if (created) {
    params.set('created', true)
  }
  if (nonce) {
    params.set('nonce', true)
  }
  for (const [name, value] of [
    ['keyid', keyid],
    ['alg', alg],
    ['tag', tag],
  ] as const) {
    if (value !== undefined) {
      if (typeof value !== 'string') {
        throw new TypeError(`${name} must be a string`)
      }
      params.set(name, value)
    }
  }
  try {
    const components = names.map((n) => parseComponentIdentifier(n))
    validateComponents(components)
    return serializeAcceptSignature([{ label, components, params }])
  } catch (error) {
    throw isCountersignError(error) ? new TypeError(error.message, { cause: error }) : error
  }
}
