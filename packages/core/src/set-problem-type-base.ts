/**
 * Configuring where problem `type` URIs point.
 *
 * @module
 */
import { DEFAULT_PROBLEM_TYPE_BASE, replaceProblemTypeBase } from './problem-type.ts'

/**
 * Sets the base of every problem `type` URI in this process, e.g. the docs site your
 * deployment serves: `setProblemTypeBase('https://docs.example/countersign/errors/')` makes
 * the type of `replayed` `https://docs.example/countersign/errors/replayed`. A base that ends
 * in neither `/` nor `#` gets a `/`. `undefined` restores the default,
 * `https://countersign.dev/errors/`. Returns the base now in force.
 *
 * @example
 * ```ts
 * setProblemTypeBase(process.env.COUNTERSIGN_PROBLEM_BASE)
 * ```
 *
 * @throws `TypeError` when `base` is not an absolute `http:` or `https:` URL without a query,
 *   credentials or whitespace.
 */
export function setProblemTypeBase(base: string | undefined): string {
  if (base === undefined) {
    replaceProblemTypeBase(DEFAULT_PROBLEM_TYPE_BASE)
    return DEFAULT_PROBLEM_TYPE_BASE
  }
  const url = URL.parse(base)
  if (
    url === null ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    /[\s"<>\\^`{|}]/.test(base) ||
    (url.hash !== '' && url.hash !== '#') ||
    base.length > 512
  ) {
    throw new TypeError('the problem type base must be an absolute http(s) URL')
  }
  const next = base.endsWith('/') || base.endsWith('#') ? base : `${base}/`
  replaceProblemTypeBase(next)
  return next
}
