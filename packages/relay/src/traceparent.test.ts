import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay } from './create-relay.ts'
import { relayKeys, relayRequest, startServer, type TestServer, testAuth } from './test-kit.ts'
import type { RelayHandler } from './types.ts'

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const seen: Array<string | undefined> = []
let api: TestServer
let relay: RelayHandler

beforeAll(async () => {
  api = await startServer((req, res) => {
    const values = req.headersDistinct.traceparent
    seen.push(values === undefined ? undefined : values.join(' | '))
    req.resume()
    req.on('end', () => res.end('{}'))
  })
  const { ring } = await relayKeys()
  relay = createRelay({
    keys: ring,
    auth: testAuth,
    targets: [{ id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true }],
  })
})

afterAll(async () => {
  await relay.close()
  await api.close()
})

async function forward(body: unknown, traceparent: string | undefined): Promise<number> {
  const request = relayRequest(body)
  const headers = new Headers(request.headers)
  if (traceparent !== undefined) {
    headers.set('traceparent', traceparent)
  }
  const answer = await relay(
    new Request(request.url, { method: 'POST', headers, body: await request.text() }),
  )
  await answer.arrayBuffer()
  return answer.status
}

describe('traceparent through the relay', () => {
  it('copies a valid traceparent onto the upstream request, for single requests and batch items', async () => {
    seen.length = 0
    expect(await forward({ url: `${api.url}/api/x` }, VALID)).toBe(200)
    expect(await forward([{ url: `${api.url}/api/a` }, { url: `${api.url}/api/b` }], VALID)).toBe(
      200,
    )
    expect(seen).toEqual([VALID, VALID, VALID])
  })

  it.each([
    ['absent', undefined],
    ['upper-case', VALID.toUpperCase()],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['two values', `${VALID}, ${VALID}`],
    ['garbage', 'x'],
  ])('sends none upstream when it is %s', async (_name, value) => {
    seen.length = 0
    expect(await forward({ url: `${api.url}/api/x` }, value)).toBe(200)
    expect(seen).toEqual([undefined])
  })
})
