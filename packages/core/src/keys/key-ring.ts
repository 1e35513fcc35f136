/**
 * Key rings: several live keys at once, so keys rotate without a flag day.
 *
 * A rotation with a ring:
 * 1. `add(next, { notBefore })`: `next` is published in the JWKS and verifies at once, but is
 *    not used for signing until `notBefore`, so verifiers can fetch it first.
 * 2. At `notBefore` (or after `add(next, { primary: true })`), `signingKey()` returns `next`.
 * 3. `retire(old)`: `old` stops signing but still verifies what it signed earlier.
 * 4. After the longest-lived signature has expired, `remove(old)` (or let `notAfter` pass).
 *
 * @module
 */
import { PRIVATE_JWK_MEMBERS } from '../crypto/shared.ts'
import type { Algorithm, Key } from '../crypto/types.ts'

/** Options for one key in a {@link KeyRing}. */
export interface KeyRingEntryOptions {
  /** Sign with this key in preference to the others (while it is valid and not retired). */
  primary?: boolean
  /** Not used for signing before this time (a `Date` or epoch milliseconds); it still verifies. */
  notBefore?: Date | number
  /** From this time on (a `Date` or epoch milliseconds) the key neither signs nor verifies. */
  notAfter?: Date | number
}

/** A JSON Web Key Set (RFC 7517 §5) of public keys. */
export interface Jwks {
  /** The public JWKs, each with `kid`, `alg` and `use: "sig"` (DOM's `JsonWebKey` lacks `kid`). */
  keys: (JsonWebKey & {
    /** The key id: the same as the ring key's `keyId`. */
    kid: string
  })[]
}

/** A set of keys for signing and verifying across a rotation. Create one with {@link createKeyRing}. */
export interface KeyRing {
  /**
   * Adds a key. With `primary: true` it becomes the preferred signing key.
   *
   * @throws `TypeError` when a key with the same `keyId` is already in the ring, or the dates
   * are invalid (`notAfter` must be after `notBefore`).
   */
  add(key: Key, options?: KeyRingEntryOptions): void
  /**
   * The key with this id, for verification: retired and not-yet-active keys are returned;
   * keys past `notAfter` are not.
   */
  get(keyId: string): Key | undefined
  /**
   * The key to sign with: the primary if it is valid now (and fits `algorithm`), else the most
   * recently added valid, non-retired key that can sign (a secret or private key).
   *
   * @throws `TypeError` when no key qualifies.
   */
  signingKey(algorithm?: Algorithm): Key
  /** Stops signing with a key but keeps it for verification. Returns whether the key was found. */
  retire(keyId: string): boolean
  /** Removes a key entirely. Returns whether the key was found. */
  remove(keyId: string): boolean
  /** Every key in the ring, in the order added, including retired and expired ones. */
  keys(): Key[]
  /**
   * The public JWKS of the asymmetric keys that still verify (not past `notAfter`). Secrets
   * and private members are never included.
   */
  jwks(): Jwks
}

interface Entry {
  readonly key: Key
  readonly notBefore: number
  readonly notAfter: number
  retired: boolean
}

function toTime(value: Date | number | undefined, name: string, fallback: number): number {
  if (value === undefined) {
    return fallback
  }
  const time = value instanceof Date ? value.getTime() : value
  if (typeof time !== 'number' || Number.isNaN(time)) {
    throw new TypeError(`${name} must be a valid Date or epoch milliseconds`)
  }
  return time
}

function assertKey(key: unknown): asserts key is Key {
  if (
    typeof key !== 'object' ||
    key === null ||
    typeof (key as Key).keyId !== 'string' ||
    typeof (key as Key).verify !== 'function' ||
    typeof (key as Key).publicJwk !== 'function'
  ) {
    throw new TypeError('expected a Key from importKey or generateKeyPair')
  }
}

/**
 * Creates a key ring, optionally filled with keys (or `{ key, ...options }` entries) in order.
 *
 * @example
 * ```ts
 * const ring = createKeyRing([current])
 * ring.add(next, { notBefore: Date.now() + 24 * 3600_000 })
 * const key = ring.signingKey('ed25519') // `current` until tomorrow, then `next`
 * ```
 */
export function createKeyRing(
  entries?: Iterable<Key | (KeyRingEntryOptions & { key: Key })>,
): KeyRing {
  const byId = new Map<string, Entry>()
  let primaryId: string | undefined

  const isVerifying = (entry: Entry, now: number) => now < entry.notAfter
  const canSign = (entry: Entry, now: number, algorithm: Algorithm | undefined) =>
    !entry.retired &&
    entry.key.type !== 'public' &&
    entry.notBefore <= now &&
    now < entry.notAfter &&
    (algorithm === undefined || entry.key.algorithm === algorithm)

  const ring: KeyRing = {
    add(key, options = {}) {
      assertKey(key)
      if (byId.has(key.keyId)) {
        throw new TypeError(`a key with id ${JSON.stringify(key.keyId)} is already in the ring`)
      }
      const notBefore = toTime(options.notBefore, 'notBefore', Number.NEGATIVE_INFINITY)
      const notAfter = toTime(options.notAfter, 'notAfter', Number.POSITIVE_INFINITY)
      if (notAfter <= notBefore) {
        throw new TypeError('notAfter must be later than notBefore')
      }
      byId.set(key.keyId, { key, notBefore, notAfter, retired: false })
      if (options.primary === true) {
        primaryId = key.keyId
      }
    },
    get(keyId) {
      const entry = byId.get(keyId)
      return entry !== undefined && isVerifying(entry, Date.now()) ? entry.key : undefined
    },
    signingKey(algorithm) {
      const now = Date.now()
      const primary = primaryId === undefined ? undefined : byId.get(primaryId)
      if (primary !== undefined && canSign(primary, now, algorithm)) {
        return primary.key
      }
      const all = [...byId.values()]
      for (let i = all.length - 1; i >= 0; i--) {
        const entry = all[i]!
        if (canSign(entry, now, algorithm)) {
          return entry.key
        }
      }
      throw new TypeError(
        algorithm === undefined
          ? 'the key ring has no valid signing key'
          : `the key ring has no valid signing key for ${algorithm}`,
      )
    },
    retire(keyId) {
      const entry = byId.get(keyId)
      if (entry === undefined) {
        return false
      }
      entry.retired = true
      if (primaryId === keyId) {
        primaryId = undefined
      }
      return true
    },
    remove(keyId) {
      if (primaryId === keyId) {
        primaryId = undefined
      }
      return byId.delete(keyId)
    },
    keys() {
      return [...byId.values()].map((entry) => entry.key)
    },
    jwks() {
      const now = Date.now()
      const keys: Jwks['keys'] = []
      for (const entry of byId.values()) {
        if (!isVerifying(entry, now) || entry.key.type === 'secret') {
          continue
        }
        const jwk = entry.key.publicJwk()
        if (jwk === undefined) {
          continue
        }
        const clean: Record<string, unknown> = { ...jwk }
        for (const name of PRIVATE_JWK_MEMBERS) {
          delete clean[name]
        }
        keys.push({ ...(clean as JsonWebKey), kid: entry.key.keyId })
      }
      return { keys }
    },
  }

  if (entries !== undefined) {
    for (const entry of entries) {
      if (typeof entry === 'object' && entry !== null && 'key' in entry && !('keyId' in entry)) {
        const { key, ...options } = entry
        ring.add(key, options)
      } else {
        ring.add(entry as Key)
      }
    }
  }
  return ring
}
