import { generateKeyPair, importKey, isCountersignError, webBackend } from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeySigning, createClient, icypeasSigning, rfc9421Signing } from '../src/index.ts'
import { backoff } from '../src/internal/transport.ts'
import { rejection } from './helpers/rejection.ts'
import { ICYPEAS, PLAIN_API_KEY, type Stack, startStack } from './helpers/stack.ts'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
}, 30_000)

afterAll(async () => {
  await stack?.close()
})

/** A fetch that counts attempts and can tamper with requests after they are signed. */
function wire(tamper?: (request: Request) => Request) {
  const sent: Request[] = []
  const fetchFn = (request: Request) => {
    sent.push(request)
    return fetch(tamper === undefined ? request : tamper(request))
  }
  return { sent, fetchFn }
}

async function registeredKey(keyId: string) {
  const { privateKey, publicKey } = await generateKeyPair('ed25519', { keyId })
  stack.protected.keys.set(keyId, publicKey)
  return privateKey
}

describe('fetch: signing', () => {
  it('signs GET and POST with RFC 9421; the verifier accepts them', async () => {
    const key = await registeredKey('node-ed25519')
    const client = createClient({ signing: rfc9421Signing({ key }) })
    const get = await client.fetch(`${stack.protected.url}/v1/orders?page=2`)
    expect(get.status).toBe(200)
    expect(await get.json()).toMatchObject({ ok: true, keyId: 'node-ed25519', method: 'GET' })

    const body = JSON.stringify({ item: 'book', qty: 2 })
    const post = await client.fetch(`${stack.protected.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    expect(post.status).toBe(200)
    expect(await post.json()).toMatchObject({ ok: true, method: 'POST', body })
  })

  it('signs with a non-extractable Web Crypto key from webBackend, and with a bare CryptoKey', async () => {
    const pair = await webBackend.generateKeyPair('ecdsa-p256-sha256', {
      keyId: 'web-p256',
      extractable: false,
    })
    expect((pair.privateKey.nativeKey as CryptoKey).extractable).toBe(false)
    stack.protected.keys.set('web-p256', pair.publicKey)
    const client = createClient({ signing: rfc9421Signing({ key: pair.privateKey }) })
    const response = await client.fetch(`${stack.protected.url}/v1/me`, {
      method: 'PUT',
      body: 'x=1',
    })
    expect(await response.json()).toMatchObject({ ok: true, keyId: 'web-p256' })

    const bare = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const jwk = await crypto.subtle.exportKey('jwk', bare.publicKey)
    stack.protected.keys.set('bare-p256', await importKey(jwk, { keyId: 'bare-p256' }))
    const bareClient = createClient({
      signing: rfc9421Signing({ key: bare.privateKey, keyId: 'bare-p256' }),
    })
    const answer = await bareClient.fetch(`${stack.protected.url}/v1/me`)
    expect(await answer.json()).toMatchObject({ ok: true, keyId: 'bare-p256' })

    expect(() => rfc9421Signing({ key: bare.privateKey })).toThrow(/keyId is required/)
    expect(() => rfc9421Signing({ key: bare.publicKey, keyId: 'x' })).toThrow(/cannot sign/)
    expect(() => rfc9421Signing({ key: pair.privateKey, colour: 1 } as never)).toThrow(
      /unknown option "colour"/,
    )
  })

  it('a request changed after signing is refused with a coded 401', async () => {
    const key = await registeredKey('node-tamper')
    const { fetchFn } = wire(
      (request) => new Request(request, { body: '{"amount":1000000}', duplex: 'half' } as never),
    )
    const client = createClient({ signing: rfc9421Signing({ key }), fetch: fetchFn })
    const response = await client.fetch(`${stack.protected.url}/v1/transfer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"amount":1}',
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ code: 'digest_mismatch' })

    const unsigned = createClient({ signing: rfc9421Signing({ key }) })
    const plain = await unsigned.fetch(`${stack.protected.url}/v1/transfer`, { signing: false })
    expect(plain.status).toBe(401)
    expect(await plain.json()).toMatchObject({ code: 'signature_missing' })
  })

  it('signs with the Icypeas and API-key presets', async () => {
    const icy = createClient({ signing: icypeasSigning(ICYPEAS) })
    const ok = await icy.fetch(`${stack.protected.url}/icypeas/api/a/actions/subscription`, {
      method: 'POST',
    })
    expect(await ok.json()).toMatchObject({ ok: true, scheme: 'icypeas', apiKey: ICYPEAS.apiKey })
    const wrong = createClient({
      signing: icypeasSigning({ apiKey: ICYPEAS.apiKey, secret: 'not-the-secret' }),
    })
    const refused = await wrong.fetch(`${stack.protected.url}/icypeas/x`, { method: 'POST' })
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ code: 'signature_invalid' })

    const keyed = createClient({ signing: apiKeySigning({ apiKey: PLAIN_API_KEY }) })
    expect(await (await keyed.fetch(`${stack.protected.url}/api-key/me`)).json()).toMatchObject({
      ok: true,
      scheme: 'api-key',
    })
    // A per-call signing overrides the client's.
    const override = await keyed.fetch(`${stack.protected.url}/icypeas/y`, {
      method: 'POST',
      signing: icypeasSigning(ICYPEAS),
    })
    expect(override.status).toBe(200)

    expect(() => icypeasSigning({ apiKey: 'a:b', secret: 's' })).toThrow(TypeError)
    expect(() => apiKeySigning({ apiKey: '' })).toThrow(TypeError)
    expect(() => apiKeySigning({ apiKey: 'k', header: 'bad header' })).toThrow(TypeError)
  })
})

describe('fetch: clock skew', () => {
  it('re-signs once with the offset from Date when the real verifier says signature_expired', async () => {
    const key = await registeredKey('node-skew')
    const { sent, fetchFn } = wire()
    // This client's clock runs 10 minutes behind the server's.
    const client = createClient({
      signing: rfc9421Signing({ key }),
      fetch: fetchFn,
      clockOffsetMs: -600_000,
    })
    const response = await client.fetch(`${stack.protected.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    expect(response.status).toBe(200)
    expect(sent).toHaveLength(2)
    expect(sent[0]?.headers.get('signature-input')).not.toBe(
      sent[1]?.headers.get('signature-input'),
    )
    expect(Math.abs(client.clockOffsetMs)).toBeLessThan(2000)
    // The learned offset is kept: the next call is accepted at once.
    const next = await client.fetch(`${stack.protected.url}/v1/orders`)
    expect(next.status).toBe(200)
    expect(sent).toHaveLength(3)
  })

  it('learns that a server runs ahead, and retries only once', async () => {
    const key = await registeredKey('node-skew-ahead')
    const { sent, fetchFn } = wire()
    const client = createClient({ signing: rfc9421Signing({ key }), fetch: fetchFn })
    const response = await client.fetch(`${stack.protected.url}/misc/skewed?offset=300000`)
    expect(response.status).toBe(200)
    expect(sent).toHaveLength(2)
    expect(client.clockOffsetMs).toBeGreaterThan(298_000)
    expect(client.clockOffsetMs).toBeLessThan(302_000)

    const always = await client.fetch(`${stack.protected.url}/misc/always-expired`)
    expect(always.status).toBe(401)
    expect(sent).toHaveLength(4)

    // Other 401 codes are not retried.
    const before = sent.length
    const invalid = await createClient({
      signing: icypeasSigning({ apiKey: ICYPEAS.apiKey, secret: 'wrong' }),
      fetch: fetchFn,
    }).fetch(`${stack.protected.url}/icypeas/z`, { method: 'POST' })
    expect(invalid.status).toBe(401)
    expect(sent.length - before).toBe(1)
  })
})

describe('fetch: retries, time limits, aborts', () => {
  it('retries idempotent methods on 503 with backoff, never POST', async () => {
    const { sent, fetchFn } = wire()
    const client = createClient({
      fetch: fetchFn,
      retries: { retries: 2, baseDelayMs: 10, maxDelayMs: 50 },
    })
    const get = await client.fetch(`${stack.protected.url}/misc/flaky?id=g1&fail=2`)
    expect(get.status).toBe(200)
    expect(await get.json()).toMatchObject({ attempts: 3 })

    const put = await client.fetch(`${stack.protected.url}/misc/flaky?id=p1&fail=1`, {
      method: 'PUT',
      body: 'data',
    })
    expect(await put.json()).toMatchObject({ attempts: 2, method: 'PUT' })

    const post = await client.fetch(`${stack.protected.url}/misc/flaky?id=po1&fail=1`, {
      method: 'POST',
      body: 'data',
    })
    expect(post.status).toBe(503)
    expect(stack.protected.attempts.get('po1')).toBe(1)

    const exhausted = await client.fetch(`${stack.protected.url}/misc/flaky?id=g2&fail=9`)
    expect(exhausted.status).toBe(503)
    expect(stack.protected.attempts.get('g2')).toBe(3)

    const none = await client.fetch(`${stack.protected.url}/misc/flaky?id=g3&fail=1`, {
      retries: 0,
    })
    expect(none.status).toBe(503)
    expect(sent.length).toBeGreaterThan(0)
  })

  it('retries idempotent methods after network errors; POST fails with network_error', async () => {
    const client = createClient({ retries: { retries: 2, baseDelayMs: 10, maxDelayMs: 50 } })
    const get = await client.fetch(`${stack.protected.url}/misc/drop?id=d1&fail=1`)
    expect(await get.json()).toMatchObject({ attempts: 2 })

    const post = await rejection(
      client.fetch(`${stack.protected.url}/misc/drop?id=d2&fail=1`, { method: 'POST', body: 'x' }),
    )
    expect(isCountersignError(post, 'network_error')).toBe(true)
    expect(post).toMatchObject({ status: 502, retryable: true })
    expect(stack.protected.attempts.get('d2')).toBe(1)

    const { sent, fetchFn } = wire()
    const down = createClient({
      fetch: fetchFn,
      retries: { retries: 3, baseDelayMs: 5, maxDelayMs: 20 },
    })
    const error = await rejection(down.fetch(`${stack.closedUrl}/x`))
    expect(isCountersignError(error, 'network_error')).toBe(true)
    expect(sent).toHaveLength(4)
  })

  it('stops at the time limit and on abort', async () => {
    const client = createClient({ timeoutMs: 200 })
    const started = Date.now()
    const timeout = await rejection(client.fetch(`${stack.protected.url}/misc/hang`))
    expect(isCountersignError(timeout, 'request_timeout')).toBe(true)
    expect(timeout.name).toBe('ClientError')
    expect(Date.now() - started).toBeLessThan(3000)

    const controller = new AbortController()
    const pending = client.fetch(`${stack.protected.url}/misc/hang`, {
      signal: controller.signal,
      timeoutMs: 10_000,
    })
    setTimeout(() => controller.abort(), 30)
    expect(isCountersignError(await rejection(pending), 'request_aborted')).toBe(true)

    const { sent, fetchFn } = wire()
    const aborted = await rejection(
      createClient({ fetch: fetchFn }).fetch(`${stack.protected.url}/misc/flaky`, {
        signal: AbortSignal.abort(),
      }),
    )
    expect(isCountersignError(aborted, 'request_aborted')).toBe(true)
    expect(sent).toHaveLength(0)
  })

  it('backs off exponentially with jitter, capped', () => {
    const policy = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 }
    for (let attempt = 0; attempt < 6; attempt++) {
      const cap = Math.min(1000, 100 * 2 ** attempt)
      for (let i = 0; i < 50; i++) {
        const delay = backoff(policy, attempt)
        expect(delay).toBeGreaterThanOrEqual(cap / 2)
        expect(delay).toBeLessThanOrEqual(cap)
      }
    }
  })

  it('checks options with TypeError/RangeError and keeps secrets out of messages', () => {
    expect(() => createClient({ colour: 'red' } as never)).toThrow(/unknown option "colour"/)
    expect(() => createClient({ timeoutMs: 0 })).toThrow(RangeError)
    expect(() => createClient({ retries: 11 })).toThrow(RangeError)
    expect(() => createClient({ relayUrl: 'https://relay.example/?x=1' })).toThrow(TypeError)
    expect(() => createClient({ signing: { key: 'k' } as never })).toThrow(/rfc9421Signing/)
    try {
      createClient({ apiKey: 'cs_ak_secret value' })
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('secret')
    }
  })
})
