/**
 * Issue #14 item 5: the relay must not change numbers in transit. A body whose numbers a double
 * cannot carry unchanged (I-JSON, RFC 7493 §2.2) is refused with 400 `invalid_json` before
 * anything reaches the upstream; numbers in range arrive exactly as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay } from './create-relay.ts'
import { serveRelay } from './node/serve-relay.ts'
import { relayKeys, startServer, type TestServer, testAuth } from './test-kit.ts'
import type { RelayHandler } from './types.ts'

/** What the API answers on these paths: JSON that a double (or a plain object) cannot carry. */
const ANSWERS: Record<string, string> = {
  '/api/big-id': '{"id":12345678901234567890,"ok":true}',
  '/api/big-fraction': '{"amount":3.141592653589793238462643383279}',
  '/api/huge': '[1e400]',
  '/api/duplicate': '{"amount":1,"amount":2}',
}

let api: TestServer
let relay: RelayHandler
let served: { url: string; close(): Promise<void> }
const received: string[] = []

beforeAll(async () => {
  api = await startServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => {
      received.push(body)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(ANSWERS[req.url ?? ''] ?? '{"ok":true}')
    })
  })
  const { ring } = await relayKeys()
  relay = createRelay({
    keys: ring,
    auth: testAuth,
    targets: [{ id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true }],
  })
  served = await serveRelay(relay, { port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await served.close()
  await relay.close()
  await api.close()
})

const send = (amount: string): Promise<Response> =>
  fetch(`${served.url}/secure-request`, {
    method: 'POST',
    headers: { authorization: 'Bearer user:u1', 'content-type': 'application/json' },
    body: `{"url":"${api.url}/api/pay","data":{"amount":${amount}}}`,
  })

describe('the relay refuses numbers a double cannot carry (over HTTP)', () => {
  it.each([
    '12345678901234567890',
    '-9007199254740992',
    '12345678901234567890.0',
    '1.2345678901234567890e19',
    '1e16',
    '1e400',
    '-1e400',
    '3.141592653589793238462643383279',
    '1e-400',
  ])('refuses %s with 400 invalid_json and forwards nothing', async (amount) => {
    const before = received.length
    const response = await send(amount)
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('application/problem+json')
    const problem = (await response.json()) as { code: string; detail: string }
    expect(problem.code).toBe('invalid_json')
    expect(problem.detail).toMatch(/number/)
    expect(received.length).toBe(before)
  })

  it('forwards numbers in range exactly as sent', async () => {
    const response = await send('[9007199254740991,-9007199254740991,0.1,-2.5e3,-0]')
    expect(response.status).toBe(200)
    const envelope = JSON.parse(received.at(-1) as string) as { data: { amount: number[] } }
    expect(envelope.data.amount).toEqual([9007199254740991, -9007199254740991, 0.1, -2500, 0])
  })
})

describe("a batch answer carries the target's numbers unchanged", () => {
  const batch = (paths: string[]): Promise<Response> =>
    fetch(`${served.url}/secure-request`, {
      method: 'POST',
      headers: { authorization: 'Bearer user:u1', 'content-type': 'application/json' },
      body: JSON.stringify(paths.map((path) => ({ url: `${api.url}${path}`, data: null }))),
    })

  it('gives the exact text of a JSON answer a double cannot carry, and the value otherwise', async () => {
    const paths = Object.keys(ANSWERS)
    const response = await batch([...paths, '/api/ok'])
    expect(response.status).toBe(200)
    const items = (await response.json()) as { status: number; body: unknown }[]
    expect(items.map((item) => item.status)).toEqual([200, 200, 200, 200, 200])
    expect(items.slice(0, paths.length).map((item) => item.body)).toEqual(
      paths.map((path) => ANSWERS[path]),
    )
    expect(items.at(-1)?.body).toEqual({ ok: true })
  })
})
