/**
 * The relay handler's own request and answer shapes, so a server can call it without building
 * a Web `Request` and `Response` (the `node:http` server of `@countersign/relay/node` does).
 *
 * @internal
 * @module
 */

/** What the relay reads of a request. */
export interface RelayInput {
  /** The method, upper case. */
  readonly method: string
  /** The path of the request target (as `new URL(url).pathname` gives it). */
  readonly pathname: string
  /** A header's value (names lower case), or `null`. */
  header(name: string): string | null
  /**
   * The body, at most `maxBytes`.
   *
   * @throws {@link @countersign/core!RequestError} `body_too_large` past the cap; `malformed`
   *   for a bad `Content-Length` or a broken stream.
   */
  readBody(maxBytes: number): Promise<Uint8Array>
}

/** An answer of the relay. */
export interface RelayAnswer {
  status: number
  /** Header names lower case. */
  headers: Record<string, string>
  body: Uint8Array | string | null
}

/** The relay's core: never rejects (every failure is a problem answer). */
export type RelayCore = (input: RelayInput) => Promise<RelayAnswer>

/** Where {@link createRelay}'s handler keeps its core, when its auth reads only headers. */
export const RELAY_CORE: unique symbol = Symbol('countersign.relay.core')

/** A handler that may carry a {@link RelayCore}. */
export interface WithRelayCore {
  [RELAY_CORE]?: RelayCore
}

/** Converts an answer to a Web `Response`. */
export function toResponse(answer: RelayAnswer): Response {
  return new Response(answer.body as BodyInit | null, {
    status: answer.status,
    headers: answer.headers,
  })
}
