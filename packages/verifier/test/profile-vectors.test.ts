/**
 * Every case of every Countersign profile vector file (packages/testkit/vectors/countersign/*.json,
 * format `countersign-profile-vectors/1`, see its README) against the TypeScript verifier: a valid
 * case verifies with the expected keyid, an invalid one fails with exactly the expected code. The
 * Python reference verifier reads the same files (python/tests/test_profile_vectors.py).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createMemoryStore, type FieldLine, importKey, type Key } from '@countersign/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { verifyMessage, verifyRelayRequest } from '../src/index.ts'
import type { VerifyRequestOptions } from '../src/types.ts'

interface ProfileCase {
  id: string
  method: string
  url: string
  headers: [string, string][]
  body?: string
  bodyBase64?: string
  key: { secret?: string; keyId?: string; jwk?: Record<string, unknown> }
  now: number
  options?: {
    requiredComponents?: string[]
    maxAge?: number | null
    maxFuture?: number | null
    tag?: string
    label?: string
    requireNonce?: boolean
    seenNonces?: string[]
    relay?: boolean
  }
  expected: { valid: boolean; code?: string; keyId?: string; userId?: string; requestId?: string }
}

const DIR = fileURLToPath(new URL('../../testkit/vectors/countersign/', import.meta.url))
const FILES = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .sort()
const CASES = FILES.flatMap((file) => {
  const document = JSON.parse(readFileSync(DIR + file, 'utf8')) as {
    format: string
    cases: ProfileCase[]
  }
  if (document.format !== 'countersign-profile-vectors/1') {
    throw new Error(`${file}: not a countersign-profile-vectors/1 document`)
  }
  return document.cases.map((c) => ({ file, name: `${file}: ${c.id}`, c }))
})

async function keyOf(spec: ProfileCase['key']): Promise<Key> {
  if (spec.jwk !== undefined) {
    const keyId = spec.keyId ?? (spec.jwk.kid as string)
    return importKey(spec.jwk as JsonWebKey, { keyId })
  }
  return importKey(Buffer.from(spec.secret!, 'base64url'), {
    algorithm: 'hmac-sha256',
    keyId: spec.keyId!,
  })
}

function bodyOf(c: ProfileCase): Uint8Array {
  if (c.bodyBase64 !== undefined) {
    return new Uint8Array(Buffer.from(c.bodyBase64, 'base64'))
  }
  return new TextEncoder().encode(c.body ?? '')
}

/** A time bound of the vector format: `null` means none. */
function bound(value: number | null | undefined): number | undefined {
  return value === null ? Number.MAX_SAFE_INTEGER : value
}

async function run(c: ProfileCase) {
  const key = await keyOf(c.key)
  const options = c.options ?? {}
  const nonceStore = createMemoryStore()
  for (const nonce of options.seenNonces ?? []) {
    await nonceStore.consumeOnce(`sig-nonce:${nonce}`, 3600)
  }
  const keys = (keyId: string) => (keyId === key.keyId ? key : undefined)
  const body = bodyOf(c)
  const fieldLines = c.headers as FieldLine[]
  if (options.relay) {
    const request = new Request(c.url, {
      method: c.method,
      headers: c.headers,
      ...(body.length === 0 ? {} : { body: body as BodyInit }),
    })
    return verifyRelayRequest(request, {
      keys,
      nonceStore,
      fieldLines,
      ...(options.tag === undefined ? {} : { relayTag: options.tag }),
      ...(options.maxAge === undefined ? {} : { maxAgeSeconds: bound(options.maxAge) }),
    })
  }
  const verifyOptions: VerifyRequestOptions = {
    keys,
    nonceStore,
    ...(options.requiredComponents === undefined
      ? {}
      : { requiredComponents: options.requiredComponents }),
    ...(options.maxAge === undefined ? {} : { maxAgeSeconds: bound(options.maxAge) }),
    ...(options.maxFuture === undefined ? {} : { maxFutureSeconds: bound(options.maxFuture) }),
    ...(options.tag === undefined ? {} : { tag: options.tag }),
    ...(options.label === undefined ? {} : { label: options.label }),
    ...(options.requireNonce === undefined ? {} : { requireNonce: options.requireNonce }),
  }
  return verifyMessage(
    { method: c.method, url: c.url, headers: fieldLines, body: body.length === 0 ? null : body },
    verifyOptions,
  )
}

afterEach(() => {
  vi.useRealTimers()
})

describe('Countersign profile vectors', () => {
  it('finds the vector files and more than 10 cases', () => {
    expect(FILES).toContain('profile-v1.json')
    expect(CASES.length).toBeGreaterThan(10)
    const names = CASES.map(({ name }) => name)
    expect(new Set(names).size).toBe(names.length)
  })

  it.each(CASES)('$name', async ({ c }) => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(c.now * 1000)
    if (c.expected.valid) {
      const result = (await run(c)) as unknown as Record<string, unknown>
      const verified = (result.verified ?? result) as { keyId: string }
      if (c.expected.keyId !== undefined) {
        expect(verified.keyId).toBe(c.expected.keyId)
      }
      if (c.expected.userId !== undefined) {
        expect((result.user as { user_id: string }).user_id).toBe(c.expected.userId)
      }
      if (c.expected.requestId !== undefined) {
        expect(result.requestId).toBe(c.expected.requestId)
      }
    } else {
      expect(c.expected.code).toBeTypeOf('string')
      const outcome = await run(c).then(
        () => 'verified',
        (error: unknown) => (error as { code?: string }).code ?? String(error),
      )
      expect(outcome).toBe(c.expected.code)
    }
  })
})
