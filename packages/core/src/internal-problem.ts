/**
 * The one answer for a failure that is not a coded Countersign error (a bug): a 500 problem
 * that says nothing about the cause.
 *
 * @module
 */
import { problemType } from './problem-type.ts'

/** The RFC 9457 problem of {@link internalProblem}: `internal_error`, status 500. */
export interface InternalProblem {
  /** `problemType('internal_error')`: the configured base followed by the code. */
  type: string
  title: 'internal error'
  status: 500
  code: 'internal_error'
}

/**
 * A fresh `internal_error` problem (500) for a failure that is not a `CountersignError`: it
 * carries no detail, so nothing about the cause (or a secret in it) reaches the client.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(internalProblem())
 * return new Response(body, { status: 500, headers: { 'content-type': 'application/problem+json' } })
 * ```
 *
 * @throws never.
 */
export function internalProblem(): InternalProblem {
  return {
    type: problemType('internal_error'),
    title: 'internal error',
    status: 500,
    code: 'internal_error',
  }
}
