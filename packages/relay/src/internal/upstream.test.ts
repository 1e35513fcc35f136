/**
 * `postUpstream` on the undici dispatch API: every way an answer can go wrong maps to its
 * code, the deadline covers the body too, and a failed answer leaves the agent usable.
 */
import type { ServerResponse } from 'node:http'
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../test-kit.ts'
import { postUpstream } from './upstream.ts'

let api: TestServer
const agent = new Agent({ connections: 4 })
const open: ServerResponse[] = []

beforeAll(async () => {
  api = await startServer((req, res) => {
    req.resume()
    req.on('end', () => {
      switch (req.url) {
        case '/ok':
          res.writeHead(201, { 'content-type': 'text/plain; charset=utf-8' })
          res.write('cre')
          res.end('ated')
          return
        case '/empty':
          res.writeHead(204)
          res.end()
          return
        case '/no-type':
          res.writeHead(200)
          res.end('x')
          return
        case '/bad-type':
          res.writeHead(200, { 'content-type': 'text/plain\u00e9' })
          res.end('x')
          return
        case '/slow-body':
          res.writeHead(200, { 'content-type': 'text/plain' })
          res.write('partial')
          open.push(res)
          return // never ends
        case '/declared-large':
          res.writeHead(200, { 'content-length': '2000' })
          res.end('y'.repeat(2000))
          return
        case '/streamed-large':
          res.writeHead(200)
          res.write('z'.repeat(600))
          res.end('z'.repeat(600))
          return
        case '/reset':
          res.writeHead(200, { 'content-length': '100' })
          res.write('short')
          setTimeout(() => res.socket?.destroy(), 5)
          return
        case '/redirect':
          res.writeHead(307, { location: 'http://127.0.0.1:9/' })
          res.end()
          return
        case '/gzip':
          res.writeHead(200, { 'content-encoding': 'gzip' })
          res.end('x')
          return
        default:
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end('{"error":true}')
      }
    })
  })
})

afterAll(async () => {
  for (const res of open) {
    res.destroy()
  }
  await agent.close()
  await api.close()
})

const limits = { timeoutMs: 300, maxBodyBytes: 1000 }
const post = (path: string) =>
  postUpstream(
    agent,
    new URL(`${api.url}${path}`),
    { 'content-type': 'text/plain' },
    new Uint8Array([1]),
    limits,
  )
const code = (path: string) =>
  post(path).then(
    () => 'answered',
    (error: { code?: string }) => error.code,
  )

describe('postUpstream', () => {
  it('collects the status, content type and the whole body', async () => {
    const answer = await post('/ok')
    expect(answer.status).toBe(201)
    expect(answer.contentType).toBe('text/plain; charset=utf-8')
    expect(new TextDecoder().decode(answer.body)).toBe('created')
    expect((await post('/empty')).body.byteLength).toBe(0)
    expect((await post('/no-type')).contentType).toBeUndefined()
    expect((await post('/bad-type')).contentType).toBeUndefined()
    expect((await post('/other')).status).toBe(500)
  })

  it('maps each failure to its code', async () => {
    expect(await code('/redirect')).toBe('upstream_error')
    expect(await code('/gzip')).toBe('upstream_error')
    expect(await code('/declared-large')).toBe('upstream_too_large')
    expect(await code('/streamed-large')).toBe('upstream_too_large')
    expect(await code('/reset')).toBe('upstream_error')
  })

  it('keeps one deadline over the body too', async () => {
    const started = Date.now()
    expect(await code('/slow-body')).toBe('upstream_timeout')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('answers upstream_unreachable when nothing listens, and the agent still works after failures', async () => {
    const closed = await startServer(() => undefined)
    const url = closed.url
    await closed.close()
    const failed = await postUpstream(
      agent,
      new URL(`${url}/x`),
      {},
      new Uint8Array(0),
      limits,
    ).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    )
    expect(failed).toBe('upstream_unreachable')
    expect((await post('/ok')).status).toBe(201)
  })
})
