/**
 * What each adapter does beyond verifying: the body it hands to the handler, mounting order,
 * per-route use, Fetch-only platforms, and the Node conversion helpers.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { Readable } from 'node:stream'
import { createMemoryStore, importKey, type Key, utf8 } from '@countersign/core'
import { signRequest } from '@countersign/signer'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { countersign as expressCountersign } from '../src/adapters/express.ts'
import { countersignHook, countersign as fastifyCountersign } from '../src/adapters/fastify.ts'
import { type CountersignVariables, countersign as honoCountersign } from '../src/adapters/hono.ts'
import {
  fieldLinesOf,
  countersign as nodeCountersign,
  readRequestMessage,
  toWebRequest,
} from '../src/adapters/node.ts'
import { createVerifier } from '../src/index.ts'
import { parseRaw, rawExchange } from './helpers/servers.ts'

const hmac = await importKey(utf8('a shared secret of at least 32 bytes!!'), {
  algorithm: 'hmac-sha256',
  keyId: 'k1',
})
const keys = (id: string): Key | undefined => (id === 'k1' ? hmac : undefined)

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

async function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer()
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

function signedPost(origin: string, body: string, type = 'application/json'): Promise<Request> {
  return signRequest(
    new Request(`${origin}/orders`, { method: 'POST', headers: { 'content-type': type }, body }),
    { key: hmac },
  )
}

describe('express', () => {
  async function app(body?: 'json' | 'buffer' | 'none', before?: express.RequestHandler) {
    const { server, origin } = await serve()
    const a = express()
    if (before) {
      a.use(before)
    }
    a.use(
      expressCountersign({
        keys,
        origin,
        nonceStore: createMemoryStore(),
        ...(body ? { body } : {}),
      }),
    )
    a.use((req, res) => {
      res.json({
        kind: Buffer.isBuffer(req.body) ? 'buffer' : typeof req.body,
        body: Buffer.isBuffer(req.body) ? req.body.toString() : req.body,
        verified: new TextDecoder().decode(req.countersign?.body),
      })
    })
    a.use(
      (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).json({ error: error.name, message: error.message })
      },
    )
    server.on('request', a)
    return origin
  }

  it('parses a JSON body into req.body by default, from the verified bytes', async () => {
    const origin = await app()
    const response = await fetch(await signedPost(origin, '{"a":1}'))
    expect(await response.json()).toEqual({ kind: 'object', body: { a: 1 }, verified: '{"a":1}' })
  })

  it('leaves other media types as a Buffer, and honours body: buffer / none', async () => {
    const origin = await app()
    const text = await fetch(await signedPost(origin, 'hello', 'text/plain'))
    expect(await text.json()).toMatchObject({ kind: 'buffer', body: 'hello' })
    const raw = await app('buffer')
    expect(await (await fetch(await signedPost(raw, '{"a":1}'))).json()).toMatchObject({
      kind: 'buffer',
      body: '{"a":1}',
    })
    const none = await app('none')
    expect(await (await fetch(await signedPost(none, '{"a":1}'))).json()).toMatchObject({
      kind: 'undefined',
      verified: '{"a":1}',
    })
  })

  it('answers 400 for a signed body that is not I-JSON, never a changed number in req.body', async () => {
    const origin = await app()
    for (const [text, code] of [
      ['{"amount":12345678901234567890}', 'invalid_json'],
      ['{"amount":1e400}', 'invalid_json'],
      ['{"amount":3.141592653589793238462643383279}', 'invalid_json'],
      ['{"a":1,"a":2}', 'invalid_json'],
      ['{"__proto__":{"admin":true}}', 'malformed'],
    ]) {
      const response = await fetch(await signedPost(origin, text as string))
      expect(response.status, text).toBe(400)
      expect(await response.json()).toMatchObject({ code })
    }
    const exact = await fetch(await signedPost(origin, '{"amount":9007199254740991}'))
    expect(await exact.json()).toMatchObject({ body: { amount: 9007199254740991 } })
  })

  it('answers 400 invalid_json for a signed body that is not JSON', async () => {
    const origin = await app()
    const response = await fetch(await signedPost(origin, '{nope'))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'invalid_json' })
  })

  it('passes a TypeError to next when a body parser ran first (mount it before)', async () => {
    const origin = await app('json', express.json())
    const response = await fetch(await signedPost(origin, '{"a":1}'))
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ error: 'TypeError' })
    // A parser that does not match the media type leaves the stream alone: that works.
    const textFirst = await app('json', express.text())
    expect((await fetch(await signedPost(textFirst, '{"a":1}'))).status).toBe(200)
  })
})

describe('express mounted on a path', () => {
  it('verifies against the full request target (req.originalUrl), not the mount-relative url', async () => {
    const { server, origin } = await serve()
    const a = express()
    a.use('/api', expressCountersign({ keys, origin, nonceStore: createMemoryStore() }))
    a.post('/api/orders', (req, res) => {
      res.json({ keyId: req.countersign?.keyId })
    })
    server.on('request', a)
    const signed = await signRequest(
      new Request(`${origin}/api/orders?x=1`, { method: 'POST', body: '{}' }),
      { key: hmac },
    )
    expect(await (await fetch(signed)).json()).toEqual({ keyId: 'k1' })
  })
})

describe('several origins', () => {
  it('the Host header picks one of the configured origins; any other is refused', async () => {
    const { server, origin } = await serve()
    const port = new URL(origin).port
    const verify = nodeCountersign({
      keys,
      nonceStore: createMemoryStore(),
      origin: ['https://api.example.com', `http://127.0.0.1:${port}`],
    })
    server.on('request', async (req, res) => {
      const verified = await verify(req, res)
      if (verified !== undefined) {
        res.end('ok')
      }
    })
    const direct = await fetch(
      await signRequest(new Request(`${origin}/x`, { method: 'POST', body: 'x' }), { key: hmac }),
    )
    expect(await direct.text()).toBe('ok')
    // Signed for the public origin, sent with its Host: verifies against https://api.example.com.
    const { rawExchange, parseRaw } = await import('./helpers/servers.ts')
    const publicSigned = await signRequest(
      new Request('https://api.example.com/x', { method: 'POST', body: 'x' }),
      { key: hmac },
    )
    const lines = [...publicSigned.headers].map(([k, v]) => `${k}: ${v}`)
    const head = (host: string) =>
      [
        'POST /x HTTP/1.1',
        `Host: ${host}`,
        ...lines,
        'Content-Length: 1',
        'Connection: close',
        '',
        '',
      ].join('\r\n')
    expect(
      parseRaw(await rawExchange(Number(port), head('api.example.com'), { body: 'x' })).status,
    ).toBe(200)
    const other = parseRaw(await rawExchange(Number(port), head('evil.example'), { body: 'x' }))
    expect(other).toMatchObject({ status: 400, body: { code: 'malformed' } })
  })
})

describe('fastify', () => {
  it('parses the verified bytes with its own JSON parser and validates the schema', async () => {
    const { origin } = await serve()
    const app = Fastify()
    await app.register(fastifyCountersign, { keys, origin, nonceStore: createMemoryStore() })
    app.post(
      '/orders',
      {
        schema: {
          body: { type: 'object', required: ['a'], properties: { a: { type: 'integer' } } },
        },
      },
      async (request) => ({ body: request.body, keyId: request.countersign?.keyId }),
    )
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: {
        ...Object.fromEntries((await signedPost(origin, '{"a":1}')).headers),
        host: new URL(origin).host,
      },
      payload: '{"a":1}',
    })
    // inject() addresses localhost:80 unless told otherwise: the Host must name the origin.
    expect(response.json()).toEqual({ body: { a: 1 }, keyId: 'k1' })
    const invalid = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: {
        ...Object.fromEntries((await signedPost(origin, '{"a":"x"}')).headers),
        host: new URL(origin).host,
      },
      payload: '{"a":"x"}',
    })
    expect(invalid.statusCode).toBe(400) // schema validation, after verification
    expect(invalid.json()).toMatchObject({ code: 'FST_ERR_VALIDATION' })
    await app.close()
  })

  it('guards Expect: 100-continue for the routes under its prefix only', async () => {
    const probe = await serve() // a free port, known before the plugin is registered
    const port = Number(new URL(probe.origin).port)
    await new Promise<void>((resolve) => servers.splice(0)[0]?.close(() => resolve()))
    const app = Fastify()
    await app.register(
      async (api) => {
        await api.register(fastifyCountersign, { keys, origin: probe.origin })
        api.post('/orders', async () => ({ signed: true }))
      },
      { prefix: '/api' },
    )
    app.post('/open', async () => ({ open: true }))
    await app.listen({ port, host: '127.0.0.1' })
    const ask = (path: string) =>
      rawExchange(
        port,
        [
          `POST ${path} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          'Content-Type: application/json',
          'Content-Length: 2',
          'Expect: 100-continue',
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
        { waitForContinue: true, body: '{}' },
      )
    const guarded = await ask('/api/orders')
    expect(guarded.startsWith('HTTP/1.1 100')).toBe(false)
    expect(parseRaw(guarded)).toMatchObject({ status: 401, body: { code: 'signature_missing' } })
    const open = await ask('/open')
    expect(open.startsWith('HTTP/1.1 100 Continue')).toBe(true)
    expect(parseRaw(open)).toMatchObject({ status: 200, body: { open: true } })
    const apix = await ask('/apix')
    expect(apix.startsWith('HTTP/1.1 100 Continue')).toBe(true)
    await app.close()
  })

  it('verifies one route with countersignHook, and leaves the others alone', async () => {
    const { origin } = await serve()
    const app = Fastify()
    const preParsing = countersignHook({ keys, origin, nonceStore: createMemoryStore() })
    app.post('/signed', { preParsing }, async (request) => ({ keyId: request.countersign?.keyId }))
    app.post('/open', async () => ({ open: true }))
    const signed = await signedPost(origin, '{}')
    const ok = await app.inject({
      method: 'POST',
      url: '/signed',
      headers: {
        ...Object.fromEntries(
          (
            await signRequest(
              new Request(`${origin}/signed`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: '{}',
              }),
              { key: hmac },
            )
          ).headers,
        ),
        host: new URL(origin).host,
      },
      payload: '{}',
    })
    expect(ok.json()).toEqual({ keyId: 'k1' })
    const refused = await app.inject({
      method: 'POST',
      url: '/signed',
      headers: { host: new URL(origin).host },
      payload: {},
    })
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['content-type']).toBe('application/problem+json')
    const open = await app.inject({
      method: 'POST',
      url: '/open',
      headers: Object.fromEntries(signed.headers),
      payload: '{}',
    })
    expect(open.json()).toEqual({ open: true })
    await app.close()
  })
})

describe('hono', () => {
  it('answers a client that aborts mid-body with 400 malformed, never the 500 path', async () => {
    const { server, origin } = await serve()
    const app = new Hono<{ Variables: CountersignVariables }>()
    const errors: unknown[] = []
    app.onError((error, c) => {
      errors.push(error)
      return c.text('internal', 500)
    })
    app.use('*', honoCountersign({ keys, nonceStore: createMemoryStore(), origin }))
    app.post('*', (c) => c.text('handled'))
    const answered = new Promise<number>((resolve) => {
      server.on('request', async (req, res) => {
        const headers = new Headers()
        for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
          headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
        }
        const request = new Request(`${origin}${req.url}`, {
          method: req.method as string,
          headers,
          body: Readable.toWeb(req) as ReadableStream,
          duplex: 'half',
        } as RequestInit)
        const response = await app.fetch(request, { incoming: req, outgoing: res })
        resolve(response.status)
        res.destroy()
      })
    })
    const signed = await signedPost(origin, 'x'.repeat(100), 'text/plain')
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1')
    const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
    socket.write(
      [
        'POST /orders HTTP/1.1',
        `Host: ${new URL(origin).host}`,
        ...lines,
        'Content-Length: 100',
        '',
        'x'.repeat(10),
      ].join('\r\n'),
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.destroy()
    expect(await answered).toBe(400)
    expect(errors).toEqual([])
  })

  it('works on a Fetch-only platform (no node incoming): Headers, platform URL', async () => {
    const app = new Hono<{ Variables: CountersignVariables }>()
    app.use('*', honoCountersign({ keys, nonceStore: createMemoryStore() }))
    app.post('*', async (c) =>
      c.json({ keyId: c.get('countersign').keyId, body: await c.req.json() }),
    )
    const request = await signedPost('https://api.example.com', '{"a":1}')
    const response = await app.fetch(request)
    expect(await response.json()).toEqual({ keyId: 'k1', body: { a: 1 } })
  })

  it('replaces the platform origin with the configured one', async () => {
    const app = new Hono<{ Variables: CountersignVariables }>()
    app.use(
      '*',
      honoCountersign({ keys, nonceStore: createMemoryStore(), origin: 'https://api.example.com' }),
    )
    app.post('*', async (c) => c.text(await c.req.text()))
    const signed = await signedPost('https://api.example.com', 'hi', 'text/plain')
    // The platform saw another host (a proxy in front): the configured origin still verifies.
    const behindProxy = new Request('http://10.0.0.7:8080/orders', {
      method: 'POST',
      headers: signed.headers,
      body: 'hi',
    })
    const response = await app.fetch(behindProxy)
    expect(await response.text()).toBe('hi')
  })

  it('refuses duplicates joined by Headers and answers problem+json', async () => {
    const app = new Hono()
    app.use('*', honoCountersign({ keys, nonceStore: createMemoryStore() }))
    app.post('*', (c) => c.text('unreachable'))
    const signed = await signedPost('https://api.example.com', '{}')
    const headers = new Headers(signed.headers)
    headers.append('content-type', 'text/plain')
    const response = await app.fetch(
      new Request(signed.url, { method: 'POST', headers, body: '{}' }),
    )
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(await response.json()).toEqual({
      type: 'https://countersign.dev/errors/duplicate_header',
      title: 'duplicate header',
      status: 400,
      code: 'duplicate_header',
    })
  })
})

describe('node helpers', () => {
  it('readRequestMessage and toWebRequest give what verifyMessage / verifyRequest take', async () => {
    const { server, origin } = await serve()
    const verifier = createVerifier({ keys, nonceStore: createMemoryStore() })
    const results: string[] = []
    server.on('request', async (req: IncomingMessage, res) => {
      try {
        if (req.url?.startsWith('/message')) {
          const message = await readRequestMessage(req, { origin })
          expect(message.headers).toEqual(fieldLinesOf(req))
          results.push((await verifier.verifyMessage(message)).keyId)
        } else {
          const { request, fieldLines } = await toWebRequest(req, { origin, maxBodyBytes: 100 })
          results.push((await verifier.verifyRequest(request, { fieldLines })).keyId)
        }
      } catch (error) {
        results.push((error as { code?: string }).code ?? String(error))
      }
      res.end()
    })
    for (const path of ['/message', '/request']) {
      await fetch(
        await signRequest(new Request(`${origin}${path}`, { method: 'POST', body: 'x' }), {
          key: hmac,
        }),
      )
    }
    await fetch(
      await signRequest(
        new Request(`${origin}/request`, { method: 'POST', body: 'y'.repeat(200) }),
        {
          key: hmac,
        },
      ),
    )
    expect(results).toEqual(['k1', 'k1', 'body_too_large'])
  })

  it('calls next() on success, next(error) for a bug, and without next answers 500 (no detail)', async () => {
    const notAKey = () => ({ not: 'a key' }) as unknown as Key
    const { server, origin } = await serve()
    const good = nodeCountersign({ origin, keys, nonceStore: createMemoryStore() })
    const broken = nodeCountersign({ origin, keys: notAKey })
    server.on('request', (req, res) => {
      const guard = req.url === '/broken' ? broken : good
      void guard(req, res, (error?: unknown) =>
        res.end(
          error === undefined ? `next ${req.countersign?.keyId}` : `next(${(error as Error).name})`,
        ),
      )
    })
    const send = (url: string) =>
      signRequest(new Request(url, { method: 'POST', body: 'x' }), { key: hmac }).then(fetch)
    expect(await (await send(`${origin}/ok`)).text()).toBe('next k1')
    expect(await (await send(`${origin}/broken`)).text()).toBe('next(TypeError)')

    const onError = vi.fn()
    const { server: bare, origin: bareOrigin } = await serve()
    const bareGuard = nodeCountersign({ origin: bareOrigin, onError, keys: notAKey })
    bare.on('request', (req, res) => void bareGuard(req, res))
    const answered = await send(`${bareOrigin}/x`)
    expect(answered.status).toBe(500)
    expect(await answered.json()).toEqual({
      type: 'https://countersign.dev/errors/internal_error',
      title: 'internal error',
      status: 500,
      code: 'internal_error',
    })
    expect(onError).toHaveBeenCalledWith(expect.any(TypeError))
  })
})
