import { isCountersignError } from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError, createClient, RelayError } from '../src/index.ts'
import { rejection } from './helpers/rejection.ts'
import { loginProvider, type Stack, startStack } from './helpers/stack.ts'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
}, 30_000)

afterAll(async () => {
  await stack?.close()
})

function loggedIn(extra: Parameters<typeof createClient>[0] = {}) {
  return createClient({ relayUrl: stack.relay.url, session: loginProvider(stack), ...extra })
}

describe('secureRequest', () => {
  it('relays { url, data } to the custom API, which verifies it, and resolves its answer', async () => {
    const client = loggedIn()
    const data = { some_data: 'Hello', nested: [1, 'two', { three: true }], when: new Date(0) }
    const answer = await client.secureRequest<{
      ok: boolean
      user: { user_id: string; name: string }
      data: unknown
      requestId: string
    }>({ url: `${stack.api.url}/api/echo`, data })
    expect(answer.status).toBe(200)
    expect(answer.data.ok).toBe(true)
    expect(answer.data.user).toMatchObject({ user_id: 'u_ada', name: 'Ada' })
    expect(answer.data.data).toEqual({ ...data, when: '1970-01-01T00:00:00.000Z' })
    expect(answer.requestId).toMatch(/^req_/)
    expect(answer.data.requestId).toBe(answer.requestId)
    expect(answer.headers.get('content-type')).toContain('application/json')
    // The API saw the user the relay authenticated, never the user's token.
    const last = stack.api.received.at(-1)
    expect(last?.path).toBe('/api/echo')
    expect(JSON.stringify(last)).not.toContain('Bearer')
  })

  it('sends data: null when data is omitted', async () => {
    const { data } = await loggedIn().secureRequest<{ data: unknown }>({
      url: `${stack.api.url}/api/echo`,
    })
    expect(data.data).toBeNull()
  })

  it('resolves text answers as text and empty answers as null', async () => {
    const client = loggedIn()
    const text = await client.secureRequest({ url: `${stack.api.url}/api/text`, data: {} })
    expect(text).toMatchObject({ status: 200, data: 'plain answer' })
    const empty = await client.secureRequest({ url: `${stack.api.url}/api/empty`, data: {} })
    expect(empty).toMatchObject({ status: 204, data: null })
  })

  it("rejects with ApiError for the API's own non-2xx answer, not a CountersignError", async () => {
    const client = loggedIn()
    const error = await rejection(
      client.secureRequest({ url: `${stack.api.url}/api/conflict`, data: { id: 7 } }),
    )
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      code: 'api_error',
      status: 409,
      data: { error: 'conflict', data: { id: 7 } },
    })
    expect((error as ApiError).requestId).toMatch(/^req_/)
    expect(isCountersignError(error)).toBe(false)

    // The API's own problem+json (not a Countersign problem type) is the API's answer too.
    const own = await rejection(
      client.secureRequest({ url: `${stack.api.url}/api/own-problem`, data: {} }),
    )
    expect(own).toBeInstanceOf(ApiError)
    expect(own).toMatchObject({ status: 422, data: { code: 'stock' } })

    // throwHttpErrors: false resolves every answer of the API.
    const resolved = await client.secureRequest(
      { url: `${stack.api.url}/api/conflict`, data: 1 },
      { throwHttpErrors: false },
    )
    expect(resolved).toMatchObject({ status: 409, data: { error: 'conflict' } })
  })

  it('rejects with RelayError carrying the relay code for relay failures', async () => {
    const client = loggedIn()
    const forbidden = await rejection(
      client.secureRequest({ url: `${stack.api.url}/admin/users`, data: {} }),
    )
    expect(forbidden).toBeInstanceOf(RelayError)
    expect(isCountersignError(forbidden, 'target_forbidden')).toBe(true)
    expect(forbidden).toMatchObject({ status: 403, retryable: false })
    expect((forbidden as RelayError).requestId).toMatch(/^req_/)

    const unreachable = await rejection(
      client.secureRequest({ url: `${stack.closedUrl}/down/x`, data: {} }),
    )
    expect(unreachable).toBeInstanceOf(RelayError)
    expect(isCountersignError(unreachable, 'upstream_unreachable')).toBe(true)
    expect(unreachable).toMatchObject({ status: 502 })

    // Even with throwHttpErrors: false, relay failures reject.
    await expect(
      client.secureRequest({ url: `${stack.api.url}/admin`, data: {} }, { throwHttpErrors: false }),
    ).rejects.toBeInstanceOf(RelayError)
  })

  it('sends a batch and resolves one item per request, in order', async () => {
    const client = loggedIn()
    const items = await client.secureRequest([
      { url: `${stack.api.url}/api/echo`, data: { n: 1 } },
      { url: `${stack.api.url}/api/conflict`, data: { n: 2 } },
      { url: `${stack.api.url}/nope`, data: { n: 3 } },
      { url: `${stack.api.url}/api/text`, data: { n: 4 } },
    ])
    expect(items).toHaveLength(4)
    const [echo, conflict, forbidden, text] = items
    expect(echo).toMatchObject({ ok: true, status: 200, data: { data: { n: 1 } } })
    expect(conflict).toMatchObject({ ok: false, status: 409, data: { error: 'conflict' } })
    expect(conflict?.ok === false && conflict.error).toBeInstanceOf(ApiError)
    expect(forbidden).toMatchObject({ ok: false, status: 403 })
    expect(forbidden?.ok === false && forbidden.error).toBeInstanceOf(RelayError)
    expect(forbidden?.ok === false && forbidden.error.code).toBe('target_forbidden')
    expect(text).toMatchObject({ ok: true, status: 200, data: 'plain answer' })
  })

  it('refuses non-JSON data with a TypeError before any network call', async () => {
    const sent: string[] = []
    const client = loggedIn({
      fetch: (request) => {
        sent.push(request.url)
        return fetch(request)
      },
    })
    const url = `${stack.api.url}/api/echo`
    const cycle: Record<string, unknown> = { a: 1 }
    cycle.self = cycle
    const cases: Array<[unknown, RegExp]> = [
      [new FormData(), /input\.data is a FormData.*HTML forms/],
      [{ file: new Blob(['x']) }, /input\.data\.file is a Blob/],
      [{ fn: () => 1 }, /input\.data\.fn is a function/],
      [cycle, /input\.data\.self refers back to itself/],
      [{ big: 10n }, /input\.data\.big is a BigInt/],
      [[1, Number.NaN], /input\.data\[1\] is NaN/],
      [{ m: new Map() }, /input\.data\.m is a Map/],
      [{ s: Symbol('x') }, /is a symbol/],
      [new Uint8Array(2), /is a Uint8Array/],
    ]
    for (const [data, message] of cases) {
      const error = await rejection(client.secureRequest({ url, data }))
      expect(error).toBeInstanceOf(TypeError)
      expect(error.message).toMatch(message)
    }
    await expect(client.secureRequest({ url: 'not a url', data: {} })).rejects.toThrow(TypeError)
    await expect(client.secureRequest({ url: 'ftp://x.example/a', data: {} })).rejects.toThrow(
      /absolute http\(s\) URL/,
    )
    await expect(client.secureRequest({ url, data: {}, extra: 1 } as never)).rejects.toThrow(
      /unknown field "extra"/,
    )
    await expect(client.secureRequest([])).rejects.toThrow(TypeError)
    await expect(
      client.secureRequest([
        { url, data: 1 },
        { url, data: () => 1 },
      ]),
    ).rejects.toThrow(/input\[1\]\.data is a function/)
    await expect(createClient().secureRequest({ url, data: 1 })).rejects.toThrow(/relayUrl/)
    expect(sent).toEqual([])
  })

  it('maps transport failures to ClientError codes and never retries the POST', async () => {
    let attempts = 0
    const counting = (request: Request) => {
      attempts++
      return fetch(request)
    }
    const down = createClient({
      relayUrl: stack.closedUrl,
      session: 'token',
      fetch: counting,
      retries: 3,
    })
    const network = await rejection(down.secureRequest({ url: 'https://api.example/x', data: 1 }))
    expect(isCountersignError(network, 'network_error')).toBe(true)
    expect(network.name).toBe('ClientError')
    expect(attempts).toBe(1)

    // A relay that never answers: the call's time limit.
    const hanging = createClient({
      relayUrl: `${stack.protected.url}/misc/hang`,
      session: 'token',
      timeoutMs: 300,
    })
    const started = Date.now()
    const timeout = await rejection(hanging.secureRequest({ url: 'https://api.example/x' }))
    expect(isCountersignError(timeout, 'request_timeout')).toBe(true)
    expect(Date.now() - started).toBeLessThan(5000)

    const controller = new AbortController()
    const pending = hanging.secureRequest(
      { url: 'https://api.example/x' },
      { signal: controller.signal, timeoutMs: 10_000 },
    )
    setTimeout(() => controller.abort(), 50)
    expect(isCountersignError(await rejection(pending), 'request_aborted')).toBe(true)
  })
})
