import { afterEach, describe, expect, it } from 'vitest'
import { annotateRequest } from './annotate-request.ts'
import { createLogger } from './create-logger.ts'
import { createMetrics } from './create-metrics.ts'
import { serveHandler } from './serve-handler.ts'
import { serveMetrics } from './serve-metrics.ts'
import type { RunningServer } from './types.ts'

const TOKEN = 'metrics-token-0123456789'
const servers: RunningServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function serve(...args: Parameters<typeof serveHandler>): Promise<string> {
  const running = await serveHandler(args[0], { port: 0, ...args[1] })
  servers.push(running)
  return running.url
}

/** A handler with two routes that says which route it matched, and a 404 problem otherwise. */
async function handler(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url)
  if (pathname === '/hello') {
    annotateRequest({ route: `${request.method} /hello` })
    return new Response('hi')
  }
  const problem = { type: 'x', title: 'not found', status: 404, code: 'not_found' }
  return new Response(JSON.stringify(problem), {
    status: 404,
    headers: { 'content-type': 'application/problem+json' },
  })
}

function lines(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(name))
}

describe('health and readiness', () => {
  it('answers /healthz 200 and /readyz 503 naming the failing check, then 200 once it passes', async () => {
    let up = true
    const url = await serve(handler, {
      health: {
        checks: {
          store: async () => {
            if (!up) {
              throw new Error('redis://:hunter2@db down')
            }
          },
          keys: async () => true,
        },
      },
    })
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ok', checks: { store: 'ok', keys: 'ok' } })
    up = false
    const down = await fetch(`${url}/readyz`)
    expect(down.status).toBe(503)
    const text = await down.text()
    expect(JSON.parse(text)).toEqual({
      status: 'unavailable',
      checks: { store: 'failed', keys: 'ok' },
    })
    expect(text).not.toContain('hunter2')
    up = true
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
  })

  it('fails a check that hangs past timeoutMs and refuses other methods with 405', async () => {
    const url = await serve(handler, {
      health: { timeoutMs: 100, checks: { slow: () => new Promise(() => undefined) } },
    })
    expect((await fetch(`${url}/readyz`)).status).toBe(503)
    const post = await fetch(`${url}/readyz`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect((await post.json()).code).toBe('method_not_allowed')
  })

  it('leaves /healthz to the handler when health is off', async () => {
    const url = await serve(handler)
    expect((await fetch(`${url}/healthz`)).status).toBe(404)
  })
})

describe('metrics', () => {
  it('counts a known sequence of requests exactly, by route, method, status and code', async () => {
    const metrics = await createMetrics({ processMetrics: false })
    const url = await serve(handler, { metrics, metricsToken: TOKEN })
    await fetch(`${url}/hello`).then((r) => r.text())
    await fetch(`${url}/hello`).then((r) => r.text())
    await fetch(`${url}/hello`, { method: 'POST', body: 'x' }).then((r) => r.text())
    await fetch(`${url}/nope/secret-looking-path`).then((r) => r.text())
    const scrape = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(scrape.status).toBe(200)
    expect(scrape.headers.get('content-type')).toContain('text/plain')
    const text = await scrape.text()
    expect(lines(text, 'countersign_http_requests_total{').sort()).toEqual([
      'countersign_http_requests_total{route="GET /hello",method="GET",status="200",code=""} 2',
      'countersign_http_requests_total{route="POST /hello",method="POST",status="200",code=""} 1',
      'countersign_http_requests_total{route="other",method="GET",status="404",code="not_found"} 1',
    ])
    expect(lines(text, 'countersign_http_request_duration_seconds_count')).toContain(
      'countersign_http_request_duration_seconds_count{route="GET /hello",method="GET"} 2',
    )
    expect(text).not.toContain('secret-looking-path')
  })

  it('refuses /metrics without or with a wrong token, and serves nothing when off', async () => {
    const metrics = await createMetrics({ processMetrics: false })
    const url = await serve(handler, { metrics, metricsToken: TOKEN })
    const missing = await fetch(`${url}/metrics`)
    expect([missing.status, (await missing.json()).code]).toEqual([401, 'token_missing'])
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })
    expect([wrong.status, (await wrong.json()).code]).toEqual([401, 'token_invalid'])
    const off = await serve(handler, { metrics })
    expect((await fetch(`${off}/metrics`)).status).toBe(404)
    expect(() => serveHandler(handler, { port: 0, metrics, metricsToken: 'short' })).toThrow(
      RangeError,
    )
  })

  it('serves metrics on a listener of their own', async () => {
    const metrics = await createMetrics({ processMetrics: false })
    const url = await serve(handler, { metrics })
    await fetch(`${url}/hello`).then((r) => r.text())
    const scrape = await serveMetrics(metrics, { port: 0 })
    servers.push(scrape)
    const text = await (await fetch(`${scrape.url}/metrics`)).text()
    expect(lines(text, 'countersign_http_requests_total{')).toEqual([
      'countersign_http_requests_total{route="GET /hello",method="GET",status="200",code=""} 1',
    ])
    expect((await fetch(`${scrape.url}/other`)).status).toBe(404)
  })
})

describe('logs and request ids', () => {
  async function logged(options: Parameters<typeof serveHandler>[1]) {
    const written: string[] = []
    const logger = await createLogger({ destination: { write: (line) => written.push(line) } })
    const url = await serve(handler, { logger, ...options })
    return { url, written }
  }

  it('writes one JSON line per request with time, level, request id, route, status, code and latency', async () => {
    const { url, written } = await logged({})
    const answer = await fetch(`${url}/nope?token=secret-query`, {
      headers: {
        authorization: 'Bearer secret-bearer',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    })
    await answer.text()
    const id = answer.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    await expect.poll(() => written.length).toBe(1)
    const line = JSON.parse(written[0] as string)
    expect(line).toMatchObject({
      level: 'info',
      requestId: id,
      method: 'GET',
      route: 'other',
      status: 404,
      code: 'not_found',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
    })
    expect(Number.isNaN(Date.parse(line.time))).toBe(false)
    expect(typeof line.latencyMs).toBe('number')
    expect(written.join('')).not.toMatch(/secret/)
  })

  it('takes a valid X-Request-Id only when trusted, and drops an invalid traceparent', async () => {
    const trusted = await logged({ trustRequestId: true })
    const kept = await fetch(`${trusted.url}/hello`, {
      headers: {
        'x-request-id': 'abc-123',
        traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      },
    })
    expect(kept.headers.get('x-request-id')).toBe('abc-123')
    for (const bad of ['a b', 'x'.repeat(129), 'a/b', '../x', 'a,b']) {
      const replaced = await fetch(`${trusted.url}/hello`, { headers: { 'x-request-id': bad } })
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
    await expect.poll(() => trusted.written.length).toBe(6)
    expect(JSON.parse(trusted.written[0] as string).traceId).toBeUndefined()
    const untrusted = await logged({})
    const fresh = await fetch(`${untrusted.url}/hello`, { headers: { 'x-request-id': 'abc-123' } })
    expect(fresh.headers.get('x-request-id')).not.toBe('abc-123')
  })

  it('redacts secret-named fields a caller logs by mistake', async () => {
    const written: string[] = []
    const logger = await createLogger({ destination: { write: (line) => written.push(line) } })
    logger.info(
      { token: 'tok-1', nested: { apiKey: 'key-1', authorization: 'Bearer b' }, body: 'b' },
      'x',
    )
    expect(written.join('')).not.toMatch(/tok-1|key-1|Bearer b|"body":"b"/)
  })
})
