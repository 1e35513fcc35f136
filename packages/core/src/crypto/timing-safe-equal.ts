/**
 * Constant-time comparison of byte arrays.
 *
 * @module
 */

/**
 * Compares two byte arrays in time that depends only on the length of `a`, never on where they
 * differ. Lengths are not secret: arrays of different lengths are unequal, but the loop still
 * runs over `a` so the call takes the same time as an equal-length comparison.
 *
 * JavaScript engines give no hard constant-time guarantee; this is the usual best effort
 * (no early exit, no data-dependent branches).
 *
 * @throws `TypeError` when either argument is not a `Uint8Array`.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) {
    throw new TypeError('timingSafeEqual expects two Uint8Arrays')
  }
  const sameLength = a.length === b.length
  const other = sameLength ? b : a
  let diff = sameLength ? 0 : 1
  for (let i = 0; i < a.length; i++) {
    diff |= a[i]! ^ other[i]!
  }
  return diff === 0
}
