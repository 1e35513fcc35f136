import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPair, isCountersignError } from '@countersign/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  apiKeySigning,
  createClient,
  icypeasSigning,
  RelayError,
  rfc9421Signing,
  type Signing,
} from '../src/index.ts'
import { rejection } from './helpers/rejection.ts'
import { ICYPEAS, PLAIN_API_KEY, type Stack, startStack } from './helpers/stack.ts'

/** A second origin (another port on loopback) that records every request it gets. */
interface Recorder {
  url: string
  seen: { method: string; url: string; headers: IncomingMessage['headers'] }[]
  close(): Promise<void>
}

/** `answer` decides the status and `Location` of each request (default: 200, none). */
async function recorder(
  answer?: (path: string) => [number, string | undefined],
): Promise<Recorder> {
  const seen: Recorder['seen'] = []
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    req.resume()
    const [status, location] = answer?.(req.url ?? '/') ?? [200, undefined]
    res.writeHead(status, location === undefined ? {} : { location })
    res.end('{"stolen":true}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  }
}

let stack: Stack
let other: Recorder
const REDIRECTS = [301, 302, 303, 307, 308] as const

beforeAll(async () => {
  stack = await startStack()
  other = await recorder()
}, 30_000)

afterAll(async () => {
  await other?.close()
  await stack?.close()
})

beforeEach(() => {
  other.seen.length = 0
})

function redirectUrl(status: number, to: string): string {
  return `${stack.protected.url}/misc/redirect?status=${status}&to=${encodeURIComponent(to)}`
}

async function signings(): Promise<[string, Signing][]> {
  const { privateKey, publicKey } = await generateKeyPair('ed25519', { keyId: 'redirect-key' })
  stack.protected.keys.set('redirect-key', publicKey)
  return [
    ['rfc9421', rfc9421Signing({ key: privateKey })],
    ['icypeas', icypeasSigning(ICYPEAS)],
    ['api-key in Authorization', apiKeySigning({ apiKey: PLAIN_API_KEY })],
    ['api-key in x-api-key', apiKeySigning({ apiKey: PLAIN_API_KEY, header: 'x-api-key' })],
  ]
}

describe('fetch: redirects of signed requests', () => {
  it('never follows a redirect to another origin, in any signing mode and any redirect status', async () => {
    for (const [mode, signing] of await signings()) {
      const client = createClient({ signing, retries: 0 })
      for (const status of REDIRECTS) {
        for (const method of ['GET', 'POST']) {
          const error = await rejection(
            client.fetch(redirectUrl(status, `${other.url}/steal`), {
              method,
              ...(method === 'POST' ? { body: '{"a":1}' } : {}),
            }),
          )
          expect(isCountersignError(error, 'network_error'), `${mode} ${status}`).toBe(true)
          expect(error.message).toContain('another origin')
          expect((error as { retryable?: boolean }).retryable).toBe(false)
        }
      }
    }
    expect(other.seen).toEqual([])
  })

  it('refuses a scheme downgrade and a host change on the same port as another origin', async () => {
    const targets = [
      'http://api.example/v1/orders',
      'https://api.example:8443/v1/orders',
      'https://evil.example/v1/orders',
      'https://user:pass@api.example/v1/orders',
      '//evil.example/v1/orders',
    ]
    for (const to of targets) {
      const sent: Request[] = []
      const client = createClient({
        signing: apiKeySigning({ apiKey: PLAIN_API_KEY, header: 'x-api-key' }),
        fetch: async (request) => {
          sent.push(request)
          return new Response(null, { status: 307, headers: { location: to } })
        },
      })
      const error = await rejection(client.fetch('https://api.example/v1/start'))
      expect(isCountersignError(error, 'network_error'), to).toBe(true)
      expect(sent.map((r) => r.url)).toEqual(['https://api.example/v1/start'])
      expect(sent[0]?.redirect).toBe('manual')
    }
  })

  it('re-signs a same-origin redirect for the new URL; the verifier accepts it', async () => {
    const [[, rfc9421]] = (await signings()) as [[string, Signing]]
    const client = createClient({ signing: rfc9421, retries: 0 })
    for (const status of REDIRECTS) {
      const response = await client.fetch(redirectUrl(status, '/v1/orders?after=redirect'))
      expect(response.status, String(status)).toBe(200)
      expect(await response.json()).toMatchObject({ ok: true, method: 'GET', path: '/v1/orders' })
      expect(response.url).toBe(`${stack.protected.url}/v1/orders?after=redirect`)
    }
  })

  it('keeps the method and body on 307/308 and turns POST into GET on 301/302/303, as fetch does', async () => {
    const [[, rfc9421]] = (await signings()) as [[string, Signing]]
    const client = createClient({ signing: rfc9421 })
    const body = '{"item":"book"}'
    for (const status of REDIRECTS) {
      const response = await client.fetch(redirectUrl(status, '/v1/orders'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      expect(response.status, String(status)).toBe(200)
      const kept = status === 307 || status === 308
      expect(await response.json()).toMatchObject({
        method: kept ? 'POST' : 'GET',
        body: kept ? body : '',
      })
    }
  })

  it('re-signs same-origin redirects with the Icypeas and API-key presets too', async () => {
    const modes = await signings()
    const icypeas = createClient({ signing: (modes[1] as [string, Signing])[1] })
    const icy = await icypeas.fetch(redirectUrl(302, '/icypeas/after'), { method: 'POST' })
    expect(await icy.json()).toMatchObject({ ok: true, scheme: 'icypeas' })
    const apiKey = createClient({ signing: (modes[2] as [string, Signing])[1] })
    const key = await apiKey.fetch(redirectUrl(308, '/api-key/after'))
    expect(await key.json()).toMatchObject({ ok: true, scheme: 'api-key' })
  })

  it('stops a same-origin redirect loop after 20 hops', async () => {
    const [[, rfc9421]] = (await signings()) as [[string, Signing]]
    let hops = 0
    const client = createClient({
      signing: rfc9421,
      fetch: async (request) => {
        hops++
        expect(request.headers.get('signature-input')).toContain('"@target-uri"')
        return new Response(null, { status: 302, headers: { location: `/loop/${hops}` } })
      },
    })
    const error = await rejection(client.fetch('https://api.example/loop/0'))
    expect(isCountersignError(error, 'network_error')).toBe(true)
    expect(error.message).toContain('more than 20 redirects')
    expect(hops).toBe(21)
  })

  it('hands back the redirect with redirect: "manual", and fails with redirect: "error"', async () => {
    const [[, rfc9421]] = (await signings()) as [[string, Signing]]
    const client = createClient({ signing: rfc9421 })
    const manual = await client.fetch(redirectUrl(307, `${other.url}/x`), { redirect: 'manual' })
    expect(manual.status).toBe(307)
    expect(manual.headers.get('location')).toBe(`${other.url}/x`)
    const error = await rejection(
      client.fetch(redirectUrl(307, '/v1/orders'), { redirect: 'error' }),
    )
    expect(isCountersignError(error, 'network_error')).toBe(true)
    expect(other.seen).toEqual([])
  })
})

describe('services never redirect a credential', () => {
  it('secureRequest, generateToken and verifyToken refuse every redirect, even to their own origin', async () => {
    for (const status of REDIRECTS) {
      for (const target of ['same', 'cross']) {
        const redirector = await recorder((path) => [
          status,
          target === 'same' ? `${path}/again` : `${other.url}${path}`,
        ])
        try {
          const client = createClient({
            relayUrl: redirector.url,
            tokenServiceUrl: redirector.url,
            apiKey: 'server-side-key',
            session: 'user-token',
            retries: 0,
          })
          const relayError = await rejection(
            client.secureRequest({ url: 'https://api.example/x', data: { a: 1 } }),
          )
          expect(relayError).toBeInstanceOf(RelayError)
          expect((relayError as RelayError).code).toBe('upstream_error')
          const generateError = await rejection(client.generateToken({ a: 1 }))
          expect(isCountersignError(generateError, 'upstream_error')).toBe(true)
          const verifyError = await rejection(client.verifyToken('some-token'))
          expect(isCountersignError(verifyError, 'upstream_error')).toBe(true)
          expect(redirector.seen.map((r) => r.url)).toEqual([
            '/secure-request',
            '/generate',
            '/verify',
          ])
        } finally {
          await redirector.close()
        }
      }
    }
    expect(other.seen).toEqual([])
  })
})
