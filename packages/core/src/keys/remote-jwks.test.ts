import { generateKeyPairSync } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../crypto/api.ts'
import type { Key } from '../crypto/types.ts'
import { createRemoteJwks } from './remote-jwks.ts'

type Mode =
  | 'ok'
  | 'fail'
  | 'huge'
  | 'huge-chunked'
  | 'redirect'
  | 'garbage'
  | 'private'
  | 'empty'
  | 'duplicate'
  | 'rsa'

let mode: Mode = 'ok'
let hits = 0
let published: Record<string, unknown>[] = []
let secretJwk: Record<string, unknown> = {}
const rsaJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
  format: 'jwk',
})
const server = createServer((req, res: ServerResponse) => {
  hits++
  const json = (body: unknown) =>
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(body))
  switch (mode) {
    case 'fail':
      res.writeHead(500).end()
      return
    case 'huge':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(`{"keys":[],"pad":"${'x'.repeat(100_000)}"}`)
      return
    case 'huge-chunked': {
      // No content-length: the reader must stop counting bytes itself.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(`{"keys":${JSON.stringify(published)},"pad":"`)
      const chunk = 'x'.repeat(16_384)
      let sent = 0
      const pump = () => {
        while (sent < 64 && res.write(chunk)) {
          sent++
        }
        if (sent < 64) {
          res.once('drain', pump)
        } else {
          res.end('"}')
        }
      }
      res.on('error', () => {})
      pump()
      return
    }
    case 'redirect':
      res.writeHead(302, { location: `http://127.0.0.1:${port()}${req.url}-moved` }).end()
      return
    case 'garbage':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [')
      return
    case 'duplicate':
      // JSON.parse would keep the second "keys"; a strict (I-JSON) reader refuses the document.
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`{"keys":[],"keys":${JSON.stringify(published)}}`)
      return
    case 'private':
      json({
        keys: [
          secretJwk,
          { ...published[0], use: 'enc' },
          { ...published[1], d: 'q'.repeat(43) },
          'x',
          null,
          [1],
        ],
      })
      return
    case 'empty':
      json({ keys: [] })
      return
    case 'rsa':
      json({
        keys: [
          { ...rsaJwk, kid: 'rsa-no-alg', use: 'sig' },
          { ...rsaJwk, kid: 'rsa-ps512', alg: 'PS512' },
        ],
      })
      return
    default:
      json({ keys: published })
  }
})
const port = () => (server.address() as AddressInfo).port
let url = ''
let ed: Key
let p256: Key

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${port()}/.well-known/jwks.json`
  ed = (await generateKeyPair('ed25519', { keyId: 'ed-1' })).publicKey
  p256 = (await generateKeyPair('ecdsa-p256-sha256', { keyId: 'p256-1' })).publicKey
  secretJwk = { kty: 'oct', kid: 'hmac-1', alg: 'HS256', k: 'q'.repeat(43) }
  published = [
    ed.publicJwk() as unknown as Record<string, unknown>,
    p256.publicJwk() as unknown as Record<string, unknown>,
  ]
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  mode = 'ok'
  hits = 0
})

const UNAVAILABLE = { code: 'jwks_unavailable', status: 503, retryable: true }

describe('createRemoteJwks', () => {
  it('throws jwks_unavailable while nothing was ever fetched, whatever the failure', async () => {
    for (const failure of ['fail', 'garbage', 'empty', 'private', 'redirect'] as const) {
      mode = failure
      await expect(createRemoteJwks(url)('ed-1'), failure).rejects.toMatchObject(UNAVAILABLE)
    }
    // A closed port: the network failure itself.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks`
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    await expect(createRemoteJwks(gone)('ed-1')).rejects.toMatchObject(UNAVAILABLE)
  })

  it('serves cached keys through an outage, and recovers once the publisher is back', async () => {
    const keys = createRemoteJwks(url, { cacheMaxAgeMs: 0, cooldownMs: 0 })
    mode = 'fail'
    await expect(keys('ed-1')).rejects.toMatchObject(UNAVAILABLE)
    mode = 'ok'
    // With no keys held, a failed fetch is retried after at most a second, not after cooldownMs.
    expect((await keys('ed-1'))?.keyId).toBe('ed-1')
    mode = 'fail'
    expect((await keys('ed-1'))?.keyId).toBe('ed-1')
    expect(await keys('unknown')).toBeUndefined()
  })

  it('retries a failed first fetch within a second even with a long cooldown', async () => {
    const keys = createRemoteJwks(url, { cooldownMs: 600_000 })
    mode = 'fail'
    await expect(keys('ed-1')).rejects.toMatchObject(UNAVAILABLE)
    await expect(keys('ed-1')).rejects.toMatchObject(UNAVAILABLE)
    expect(hits).toBe(1)
    mode = 'ok'
    let found: Key | undefined
    for (let i = 0; i < 40 && found === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      found = await keys('ed-1').catch(() => undefined)
    }
    expect(found?.keyId).toBe('ed-1')
  })

  it('fetches once, caches, and shares one fetch between concurrent lookups', async () => {
    const keys = createRemoteJwks(url)
    const found = await Promise.all([keys('ed-1'), keys('p256-1'), keys('ed-1')])
    expect(found.map((k) => k?.keyId)).toEqual(['ed-1', 'p256-1', 'ed-1'])
    expect(found[0]?.type).toBe('public')
    expect(await keys('ed-1')).toBe(found[0])
    expect(hits).toBe(1)
  })

  it('refetches for an unknown key id only after the cooldown', async () => {
    const slow = createRemoteJwks(url, { cooldownMs: 60_000 })
    expect(await slow('ed-1')).toBeDefined()
    expect(await slow('nope')).toBeUndefined()
    expect(await slow('nope')).toBeUndefined()
    expect(hits).toBe(1)
    const eager = createRemoteJwks(url, { cooldownMs: 0 })
    await eager('ed-1')
    await eager('nope')
    await eager('nope')
    expect(hits).toBe(4)
  })

  it('reads the JWKS strictly: a document with a duplicate member gives no keys', async () => {
    mode = 'duplicate'
    await expect(createRemoteJwks(url)('ed-1')).rejects.toMatchObject(UNAVAILABLE)
  })

  it('keeps the last good keys when a refetch fails, whatever the failure', async () => {
    const keys = createRemoteJwks(url, { cacheMaxAgeMs: 0 })
    expect((await keys('ed-1'))?.keyId).toBe('ed-1')
    for (const failure of [
      'fail',
      'huge',
      'redirect',
      'garbage',
      'private',
      'empty',
      'duplicate',
    ] as const) {
      mode = failure
      expect((await keys('ed-1'))?.keyId, failure).toBe('ed-1')
    }
  })

  it('never reads a body past maxBytes, with or without content-length', async () => {
    mode = 'huge'
    await expect(createRemoteJwks(url, { maxBytes: 1000 })('ed-1')).rejects.toMatchObject(
      UNAVAILABLE,
    )
    mode = 'huge-chunked'
    await expect(createRemoteJwks(url, { maxBytes: 4096 })('ed-1')).rejects.toMatchObject(
      UNAVAILABLE,
    )
    // The same body is accepted under a cap it fits in.
    expect((await createRemoteJwks(url, { maxBytes: 2_000_000 })('ed-1'))?.keyId).toBe('ed-1')
  })

  it('does not follow redirects', async () => {
    mode = 'redirect'
    await expect(createRemoteJwks(url)('ed-1')).rejects.toMatchObject(UNAVAILABLE)
    expect(hits).toBe(1)
  })

  it('skips private, secret, encryption and malformed entries', async () => {
    mode = 'private'
    const keys = createRemoteJwks(url)
    for (const kid of ['hmac-1', 'ed-1', 'p256-1']) {
      await expect(keys(kid), kid).rejects.toMatchObject(UNAVAILABLE)
    }
  })

  it('imports an RSA key without alg as RS256 (the OIDC default), one with alg as that alg', async () => {
    mode = 'rsa'
    const keys = createRemoteJwks(url)
    expect((await keys('rsa-no-alg'))?.algorithm).toBe('rsa-v1_5-sha256')
    expect((await keys('rsa-ps512'))?.algorithm).toBe('rsa-pss-sha512')
  })

  it('keeps only the keys `accept` allows', async () => {
    const keys = createRemoteJwks(url, { accept: (key) => key.algorithm === 'ed25519' })
    expect((await keys('ed-1'))?.algorithm).toBe('ed25519')
    expect(await keys('p256-1')).toBeUndefined()
  })

  it('refuses plain http except on loopback, and bad options', () => {
    expect(() => createRemoteJwks('http://tokens.example/jwks')).toThrow(TypeError)
    expect(() => createRemoteJwks('ftp://tokens.example/jwks')).toThrow(TypeError)
    expect(() => createRemoteJwks('https://tokens.example/jwks')).not.toThrow()
    expect(() => createRemoteJwks('http://localhost:1/jwks')).not.toThrow()
    expect(() => createRemoteJwks('http://[::1]:1/jwks')).not.toThrow()
    expect(() => createRemoteJwks(url, { maxBytes: -1 })).toThrow(TypeError)
    expect(() => createRemoteJwks(url, { timeoutMs: Number.NaN })).toThrow(TypeError)
  })
})
