/**
 * A bounded-memory check: 20,000 requests through the relay handler in process (the handler is
 * called directly, no client sockets; it forwards to a loopback API over keep-alive), with the
 * heap measured after a full GC before and after. Timing never decides this test; the bound is
 * generous and only catches per-request leaks (20k leaked envelopes or agents would exceed it).
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createMemoryStore } from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay } from './create-relay.ts'
import { relayKeys, relayRequest, startServer, type TestServer, testAuth } from './test-kit.ts'
import type { RelayHandler } from './types.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

let api: TestServer
let relay: RelayHandler
let audited = 0

/** The smallest heap seen over a few full GCs a little apart (sockets and timers settle). */
async function heapAfterGc(): Promise<number> {
  let least = Number.POSITIVE_INFINITY
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    gc()
    gc()
    least = Math.min(least, process.memoryUsage().heapUsed)
  }
  return least
}

beforeAll(async () => {
  api = await startServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true,"items":[1,2,3]}')
    })
  })
  const { ring } = await relayKeys()
  relay = createRelay({
    keys: ring,
    auth: testAuth,
    store: createMemoryStore(),
    rateLimit: {
      perUser: { limit: 1_000_000, windowMs: 60_000 },
      perTarget: { limit: 1_000_000, windowMs: 60_000 },
    },
    audit: () => {
      audited++
    },
    targets: [{ id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true }],
  })
})

afterAll(async () => {
  await relay.close()
  await api.close()
})

async function run(count: number, inFlight: number): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {}
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      let request: Request
      if (i % 10 === 9) {
        request = relayRequest({ url: 'http://169.254.169.254/latest/meta-data/', data: {} })
      } else if (i % 10 === 8) {
        request = relayRequest(null, { raw: '{"url": ' })
      } else {
        request = relayRequest(
          { url: `${api.url}/api/items?page=${i % 50}`, data: { i, text: 'x'.repeat(200) } },
          { token: `user:u${i % 100}` },
        )
      }
      const response = await relay(request)
      await response.arrayBuffer()
      statuses[response.status] = (statuses[response.status] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return statuses
}

describe('bounded memory', () => {
  it('keeps the heap flat over 20,000 requests through the handler', async () => {
    await run(1000, 32) // warm up: JIT, keep-alive sockets, store windows for all 100 users
    const before = await heapAfterGc()
    const started = performance.now()
    const statuses = await run(20_000, 32)
    const seconds = (performance.now() - started) / 1000
    const after = await heapAfterGc()
    const growthMb = (after - before) / 1024 / 1024
    console.log(
      `relay memory: heap after GC ${(before / 1024 / 1024).toFixed(1)} MB before, ${(after / 1024 / 1024).toFixed(1)} MB after 20,000 requests ` +
        `(growth ${growthMb.toFixed(2)} MB); ${seconds.toFixed(1)} s, ${(20_000 / seconds).toFixed(0)} req/s in process; statuses ${JSON.stringify(statuses)}; upstream connections ${api.connections()}`,
    )
    expect(statuses).toEqual({ 200: 16_000, 400: 2000, 403: 2000 })
    expect(audited).toBe(21_000)
    expect(growthMb).toBeLessThan(24)
  }, 180_000)
})
