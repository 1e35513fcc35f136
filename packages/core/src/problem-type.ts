/**
 * The `type` URI of Countersign problems (RFC 9457): a configurable base followed by the code.
 *
 * @module
 */

/** The default base: the docs site's page per code, `https://countersign.dev/errors/<code>`. */
export const DEFAULT_PROBLEM_TYPE_BASE = 'https://countersign.dev/errors/'

let base = DEFAULT_PROBLEM_TYPE_BASE

/**
 * The `type` URI of the problem for `code`: the base set by {@link setProblemTypeBase}
 * (default `https://countersign.dev/errors/`) followed by the code.
 *
 * @example
 * ```ts
 * problemType('replayed') // 'https://countersign.dev/errors/replayed'
 * ```
 *
 * @throws never.
 */
export function problemType(code: string): string {
  return base + code
}

/** @internal Sets the base; see `setProblemTypeBase`. */
export function replaceProblemTypeBase(next: string): void {
  base = next
}
