/** The suite's assertions: tiny, so the suite needs nothing a runtime might lack. */

/** Throws unless `actual` and `expected` serialise to the same JSON. */
export function equal(actual, expected, what) {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) {
    throw new Error(`${what}: expected ${e}, got ${a}`)
  }
}

/** Resolves with the `code` the promise rejects with; throws when it resolves. */
export async function codeOf(promise) {
  try {
    await promise
  } catch (error) {
    return error?.code ?? String(error)
  }
  return 'resolved'
}

/** Runs `fn` with `Date.now` answering `seconds` (the vectors' clock), then restores it. */
export async function atTime(seconds, fn) {
  const realNow = Date.now
  Date.now = () => seconds * 1000
  try {
    return await fn()
  } finally {
    Date.now = realNow
  }
}
