import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { RequestError } from '@countersign/core'
import { afterEach, describe, expect, it } from 'vitest'
import { readNodeRequest } from './read-node-request.ts'
import { sendProblem } from './send-problem.ts'
import { serveHandler as serveTokenService } from './serve-handler.ts'
import { serveNodeListener } from './serve-node-listener.ts'
import type { RunningServer } from './types.ts'

let running: RunningServer | undefined
afterEach(async () => {
  await running?.close()
  running = undefined
})

describe('serveTokenService', () => {
  it('passes method, URL, headers and body through to the handler', async () => {
    let seen: { method: string; url: string; auth: string | null; body: string } | undefined
    running = await serveTokenService(
      async (request) => {
        seen = {
          method: request.method,
          url: request.url,
          auth: request.headers.get('authorization'),
          body: await request.text(),
        }
        return new Response('ok', { status: 201, headers: { 'x-test': '1' } })
      },
      { port: 0, origin: 'https://tokens.example' },
    )
    const response = await fetch(`${running.url}/a/b?c=d`, {
      method: 'POST',
      headers: { authorization: 'Bearer x', 'content-type': 'text/plain' },
      body: 'hello',
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('x-test')).toBe('1')
    expect(await response.text()).toBe('ok')
    expect(seen).toEqual({
      method: 'POST',
      url: 'https://tokens.example/a/b?c=d',
      auth: 'Bearer x',
      body: 'hello',
    })
  })

  it('refuses a request target that looks like a network-path reference', async () => {
    let called = false
    running = await serveTokenService(
      async () => {
        called = true
        return new Response(null, { status: 204 })
      },
      { port: 0 },
    )
    const { port } = new URL(running.url)
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '//evil.example/x', method: 'GET' },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            body += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body).code).toBe('malformed')
    expect(called).toBe(false)
  })

  it('answers 500 problem details when the handler throws, and omits HEAD bodies', async () => {
    running = await serveTokenService(
      async (request) => {
        if (request.method === 'HEAD') {
          return new Response('body', { status: 200 })
        }
        throw new Error('boom with a secret cs_ak_xyz')
      },
      { port: 0 },
    )
    const response = await fetch(`${running.url}/x`)
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).not.toContain('cs_ak_xyz')
    expect(JSON.parse(text)).toMatchObject({ code: 'internal_error', status: 500 })
    const head = await fetch(`${running.url}/x`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('refuses bodies over the cap with 413 before calling the handler', async () => {
    let calls = 0
    running = await serveTokenService(
      async () => {
        calls++
        return new Response(null, { status: 204 })
      },
      { port: 0, maxBodyBytes: 10 },
    )
    const response = await fetch(`${running.url}/x`, { method: 'POST', body: 'x'.repeat(11) })
    expect(response.status).toBe(413)
    expect(((await response.json()) as { code: string }).code).toBe('body_too_large')
    expect(calls).toBe(0)
    const ok = await fetch(`${running.url}/x`, { method: 'POST', body: 'x'.repeat(10) })
    expect(ok.status).toBe(204)
  })
})

describe('readNodeRequest and serveNodeListener', () => {
  it('hands a listener the checked parts, and refuses what toWebRequest refuses', async () => {
    const seen: unknown[] = []
    running = await serveNodeListener(
      (req, res) => {
        void readNodeRequest(req, { maxBodyBytes: 16 }).then((parts) => {
          if (parts instanceof RequestError) {
            sendProblem(res, parts, true)
            return
          }
          seen.push({ ...parts, body: parts.body && Buffer.from(parts.body).toString() })
          if (parts.target === '/boom') {
            sendProblem(res, undefined)
            return
          }
          res.writeHead(204).end()
        })
      },
      { port: 0 },
    )
    const { port } = new URL(running.url)
    const base = `http://127.0.0.1:${port}`
    expect((await fetch(`${base}/a?b=c`, { method: 'POST', body: 'hi' })).status).toBe(204)
    expect((await fetch(`${base}/x`)).status).toBe(204)
    expect(seen).toEqual([
      { method: 'POST', target: '/a?b=c', url: `${base}/a?b=c`, body: 'hi' },
      { method: 'GET', target: '/x', url: `${base}/x`, body: undefined },
    ])
    const big = await fetch(`${base}/a`, { method: 'POST', body: 'x'.repeat(17) })
    expect(big.status).toBe(413)
    expect(big.headers.get('connection')).toBe('close')
    expect(await big.json()).toMatchObject({ code: 'body_too_large' })
    const boom = await fetch(`${base}/boom`)
    expect(boom.status).toBe(500)
    expect(boom.headers.get('content-type')).toBe('application/problem+json')
    expect(await boom.json()).toMatchObject({ code: 'internal_error' })
  })

  it('refuses a repeated single-valued header in any case, and lets other repeats through', async () => {
    const seen: string[] = []
    running = await serveNodeListener(
      (req, res) => {
        void readNodeRequest(req, { origin: 'https://api.example/' }).then((parts) => {
          if (parts instanceof RequestError) {
            sendProblem(res, parts, true)
            return
          }
          seen.push(parts.url)
          res.writeHead(204).end()
        })
      },
      { port: 0 },
    )
    const { port } = new URL(running.url)
    const send = (extra: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1')
        let text = ''
        socket.on('data', (chunk) => {
          text += chunk.toString('latin1')
        })
        socket.on('end', () => resolve(text))
        socket.on('error', reject)
        socket.end(
          `POST /p HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`,
        )
      })
    const singles = [
      'Content-Type: a/b',
      'AUTHORIZATION: Bearer x',
      'x-api-key: k',
      'X-Api-Token: t',
      'accessToken: t',
      'Origin: https://a.example',
    ]
    for (const line of singles) {
      expect(await send(`${line}\r\n`)).toMatch(/^HTTP\/1\.1 204/)
      const twice = await send(`${line}\r\n${line.toLowerCase()}\r\n`)
      expect(twice).toMatch(/^HTTP\/1\.1 400/)
      expect(twice).toContain('duplicate_header')
    }
    expect(await send('hOsT: 127.0.0.1\r\n')).toContain('duplicate_header')
    expect(await send('content-length: 0\r\n')).toMatch(/^HTTP\/1\.1 400/)
    // Repeats of other fields are not ours to refuse.
    expect(await send('Accept: a/b\r\nAccept: c/d\r\nX-Trace: 1\r\nx-trace: 2\r\n')).toMatch(
      /^HTTP\/1\.1 204/,
    )
    // A configured origin with a trailing slash joins the target without doubling it.
    expect(seen[0]).toBe('https://api.example/p')
  })
})
