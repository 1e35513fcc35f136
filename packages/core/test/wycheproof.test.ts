/**
 * Wycheproof conformance (C2SP/wycheproof `testvectors_v1`, copied into
 * packages/testkit/vectors/wycheproof; see PROVENANCE.md there). Every vector of every file runs
 * on both backends, and the counts are asserted so an empty or short loop fails.
 *
 * Policy for results:
 * - `valid`: must verify (and, through both the JWK and the PEM form of the key).
 * - `invalid`: must return `false`, never throw.
 * - `acceptable`: must not throw; either answer passes, but both backends must give the same
 *   one. None of the four files has such vectors today, which is asserted, so a future copy
 *   that adds some gets reviewed instead of passing silently.
 * - HMAC groups with `tagSize` below the full MAC: the MAC is computed, truncated to `tagSize`
 *   bits and compared in constant time (Wycheproof's reading). `Key.verify` itself never
 *   accepts a truncated tag, which is asserted too.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { nodeBackend } from '../src/crypto/node.ts'
import { timingSafeEqual } from '../src/crypto/timing-safe-equal.ts'
import type { Algorithm, CryptoBackend, Key } from '../src/crypto/types.ts'
import { webBackend } from '../src/crypto/web.ts'
import { fromHex, toBase64Url } from '../src/encoding.ts'

type Result = 'valid' | 'invalid' | 'acceptable'

interface SignatureTest {
  tcId: number
  msg: string
  sig: string
  result: Result
}
interface SignatureGroup {
  /** Missing from 9 ECDSA groups; rebuilt from `publicKey.wx` / `wy` then. */
  publicKeyJwk?: JsonWebKey
  publicKey: { wx?: string; wy?: string }
  publicKeyPem: string
  tests: SignatureTest[]
}
interface MacTest {
  tcId: number
  key: string
  msg: string
  tag: string
  result: Result
}
interface MacGroup {
  keySize: number
  tagSize: number
  tests: MacTest[]
}
interface VectorFile<G> {
  algorithm: string
  numberOfTests: number
  testGroups: G[]
}

/** A P-256 coordinate from Wycheproof hex (which may carry a sign byte or drop leading zeros). */
function coordinate(hex: string): string {
  const bytes = fromHex(hex.length % 2 === 0 ? hex : `0${hex}`)
  const out = new Uint8Array(32)
  const trimmed = bytes.subarray(Math.max(0, bytes.length - 32))
  out.set(trimmed, 32 - trimmed.length)
  return toBase64Url(out)
}

function rebuildJwk(group: SignatureGroup): JsonWebKey {
  return {
    kty: 'EC',
    crv: 'P-256',
    x: coordinate(group.publicKey.wx!),
    y: coordinate(group.publicKey.wy!),
  }
}

function load<G>(name: string): VectorFile<G> {
  return JSON.parse(
    readFileSync(new URL(`../../testkit/vectors/wycheproof/${name}`, import.meta.url), 'utf8'),
  ) as VectorFile<G>
}

/** Expected totals, from PROVENANCE.md and the files themselves. */
const SIGNATURE_FILES = [
  {
    file: 'ed25519_test.json',
    algorithm: 'ed25519',
    total: 151,
    valid: 88,
    invalid: 63,
    rebuilt: 0,
  },
  {
    file: 'ecdsa_secp256r1_sha256_p1363_test.json',
    algorithm: 'ecdsa-p256-sha256',
    total: 262,
    valid: 173,
    invalid: 89,
    rebuilt: 9,
  },
] as const
const MAC_FILES = [
  {
    file: 'hmac_sha256_test.json',
    algorithm: 'hmac-sha256',
    total: 174,
    valid: 66,
    invalid: 108,
    full: 256,
  },
  {
    file: 'hmac_sha1_test.json',
    algorithm: 'hmac-sha1',
    total: 170,
    valid: 66,
    invalid: 104,
    full: 160,
  },
] as const

interface Tally {
  valid: number
  invalid: number
  acceptable: number
  mismatches: string[]
}

/** Runs a verification that must never throw; a throw is recorded as a mismatch. */
async function noThrow(
  fn: () => Promise<boolean> | boolean,
  tally: Tally,
  id: string,
): Promise<boolean | undefined> {
  try {
    return await fn()
  } catch (error) {
    tally.mismatches.push(`${id}: threw ${(error as Error).name}`)
    return undefined
  }
}

function expectResult(tally: Tally, id: string, result: Result, actual: boolean | undefined): void {
  tally[result]++
  if (result === 'acceptable' || actual === undefined) {
    return
  }
  if (actual !== (result === 'valid')) {
    tally.mismatches.push(`${id}: expected ${result}, verify gave ${actual}`)
  }
}

const acceptableAnswers = new Map<string, boolean | undefined>()

describe.each([webBackend, nodeBackend])(
  'Wycheproof on the $name backend',
  (backend: CryptoBackend) => {
    it.each(SIGNATURE_FILES)('$file: every vector gives its expected result', async (spec) => {
      const data = load<SignatureGroup>(spec.file)
      const tally: Tally = { valid: 0, invalid: 0, acceptable: 0, mismatches: [] }
      const algorithm = spec.algorithm as Algorithm
      let rebuilt = 0
      for (const group of data.testGroups) {
        if (group.publicKeyJwk === undefined) {
          rebuilt++
        }
        const keys: Key[] = [
          await backend.importKey(group.publicKeyJwk ?? rebuildJwk(group), {
            algorithm,
            keyId: 'wycheproof',
          }),
          await backend.importKey(group.publicKeyPem, { algorithm, keyId: 'wycheproof' }),
        ]
        for (const test of group.tests) {
          const msg = fromHex(test.msg)
          const sig = fromHex(test.sig)
          const answers: (boolean | undefined)[] = []
          for (const [i, key] of keys.entries()) {
            const id = `tcId ${test.tcId} (${i === 0 ? 'JWK' : 'PEM'} key)`
            answers.push(await noThrow(() => key.verify(msg, sig), tally, id))
            if (key.verifySync !== undefined) {
              const sync = await noThrow(() => key.verifySync!(msg, sig), tally, `${id} sync`)
              if (sync !== answers[i]) {
                tally.mismatches.push(`${id}: verifySync disagrees with verify`)
              }
            }
          }
          if (answers[0] !== answers[1]) {
            tally.mismatches.push(`tcId ${test.tcId}: JWK and PEM keys disagree`)
          }
          expectResult(tally, `tcId ${test.tcId}`, test.result, answers[0])
          if (test.result === 'acceptable') {
            const key = `${spec.file}:${test.tcId}`
            if (acceptableAnswers.has(key)) {
              expect(answers[0], `${key}: backends disagree`).toBe(acceptableAnswers.get(key))
            }
            acceptableAnswers.set(key, answers[0])
          }
        }
      }
      expect(tally.mismatches).toEqual([])
      expect(rebuilt).toBe(spec.rebuilt)
      expect(data.numberOfTests).toBe(spec.total)
      expect(tally).toEqual({
        valid: spec.valid,
        invalid: spec.invalid,
        acceptable: 0,
        mismatches: [],
      })
    })

    it.each(MAC_FILES)('$file: every vector gives its expected result', async (spec) => {
      const data = load<MacGroup>(spec.file)
      const tally: Tally = { valid: 0, invalid: 0, acceptable: 0, mismatches: [] }
      const algorithm = spec.algorithm as Algorithm
      let truncatedGroups = 0
      let fullGroups = 0
      for (const group of data.testGroups) {
        const full = group.tagSize === spec.full
        if (full) {
          fullGroups++
        } else {
          truncatedGroups++
        }
        for (const test of group.tests) {
          const id = `tcId ${test.tcId}`
          const key = await backend.importKey(fromHex(test.key), { algorithm, keyId: 'wycheproof' })
          const msg = fromHex(test.msg)
          const tag = fromHex(test.tag)
          const computed = await key.sign(msg)
          const truncatedMatch = timingSafeEqual(computed.subarray(0, group.tagSize / 8), tag)
          expectResult(tally, id, test.result, truncatedMatch)
          const verified = await noThrow(() => key.verify(msg, tag), tally, id)
          const synced =
            key.verifySync === undefined
              ? verified
              : await noThrow(() => key.verifySync!(msg, tag), tally, `${id} sync`)
          if (synced !== verified) {
            tally.mismatches.push(`${id}: verifySync disagrees with verify`)
          }
          if (full && verified !== truncatedMatch) {
            tally.mismatches.push(
              `${id}: verify gave ${verified}, the MAC comparison ${truncatedMatch}`,
            )
          }
          if (!full && verified !== false) {
            tally.mismatches.push(`${id}: verify accepted a truncated tag`)
          }
        }
      }
      expect(tally.mismatches).toEqual([])
      expect(fullGroups).toBeGreaterThan(0)
      expect(truncatedGroups).toBeGreaterThan(0)
      expect(data.numberOfTests).toBe(spec.total)
      expect(tally).toEqual({
        valid: spec.valid,
        invalid: spec.invalid,
        acceptable: 0,
        mismatches: [],
      })
    })
  },
)
