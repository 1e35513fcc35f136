/**
 * The relay's answer before it becomes a Web `Response`: the stages build these plain records
 * and the handler converts the one it answers with.
 *
 * @internal
 * @module
 */

/** An answer of the relay. */
export interface RelayAnswer {
  status: number
  /** Header names lower case. */
  headers: Record<string, string>
  body: Uint8Array | string | null
}

/** Converts an answer to a Web `Response`. */
export function toResponse(answer: RelayAnswer): Response {
  return new Response(answer.body as BodyInit | null, {
    status: answer.status,
    headers: answer.headers,
  })
}
