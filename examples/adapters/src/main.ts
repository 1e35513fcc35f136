/**
 * The same small orders API three times, once per framework adapter of
 * `@countersign/verifier` (Express, Fastify, Hono), each on a real server on 127.0.0.1. Each
 * accepts a request signed with RFC 9421 (Ed25519) and refuses a tampered one, a replayed one
 * and an unsigned one. Exits non-zero if any step fails.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServer as createNetServer } from 'node:net'
import { createMemoryStore, generateKeyPair, type Key } from '@countersign/core'
import { detail, expect, finish, section, step } from '@countersign/example-kit/steps.ts'
import { signRequest } from '@countersign/signer'
import { countersign as expressCountersign } from '@countersign/verifier/express'
import { countersign as fastifyCountersign } from '@countersign/verifier/fastify'
import {
  type CountersignVariables,
  countersign as honoCountersign,
} from '@countersign/verifier/hono'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'

/** A free loopback port: each adapter needs its public origin before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

/** Closes a `node:http` server, its keep-alive connections too. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

interface Running {
  name: string
  url: string
  close(): Promise<void>
}

async function startExpress(keys: (keyId: string) => Key | undefined): Promise<Running> {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const app = express()
  const verify = expressCountersign({ keys, origin, nonceStore: createMemoryStore() })
  app.use('/api', verify) // before any body parser: it reads and verifies the raw bytes
  app.post('/api/orders', (req, res) => {
    res.json({ framework: 'express', from: req.countersign?.keyId, order: req.body })
  })
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening))
  })
  verify.checkContinue(server)
  return {
    name: 'Express',
    url: origin,
    close: () => closeServer(server),
  }
}

async function startFastify(keys: (keyId: string) => Key | undefined): Promise<Running> {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const app = Fastify()
  await app.register(async (api) => {
    await api.register(fastifyCountersign, { keys, origin, nonceStore: createMemoryStore() })
    api.post('/api/orders', async (request) => ({
      framework: 'fastify',
      from: request.countersign?.keyId,
      order: request.body,
    }))
  })
  await app.listen({ port, host: '127.0.0.1' })
  return { name: 'Fastify', url: origin, close: () => app.close() }
}

async function startHono(keys: (keyId: string) => Key | undefined): Promise<Running> {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const app = new Hono<{ Variables: CountersignVariables }>()
  const verify = honoCountersign({ keys, origin, nonceStore: createMemoryStore() })
  app.use('/api/*', verify)
  app.post('/api/orders', async (c) =>
    c.json({ framework: 'hono', from: c.get('countersign').keyId, order: await c.req.json() }),
  )
  // On Node behind @hono/node-server: the middleware reads the raw field lines from c.env.
  const server = await new Promise<Server>((resolve) => {
    const listening = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () =>
      resolve(listening as Server),
    )
  })
  // Node answers `Expect: 100-continue` before any middleware runs; let only signed requests on.
  verify.checkContinue(server)
  return {
    name: 'Hono',
    url: origin,
    close: () => closeServer(server),
  }
}

async function outcomeOf(response: Response): Promise<string> {
  const body = (await response.json()) as { code?: string }
  return `${response.status} ${body.code ?? ''}`.trim()
}

const client = await generateKeyPair('ed25519', { keyId: 'shop-client-1' })
const trusted = new Map<string, Key>([[client.publicKey.keyId, client.publicKey]])
const keys = (keyId: string) => trusted.get(keyId)
const servers: Running[] = []
try {
  console.log('Countersign adapters example: Express, Fastify and Hono on 127.0.0.1.')
  servers.push(await startExpress(keys), await startFastify(keys), await startHono(keys))
  for (const server of servers) {
    section(`${server.name}: @countersign/verifier/${server.name.toLowerCase()} on ${server.url}`)
    const signed = await signRequest(
      new Request(`${server.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'A-1', qty: 2 }),
      }),
      { key: client.privateKey },
    )
    const replay = signed.clone()
    const tamperedHeaders = new Headers(signed.headers)
    detail(`Signature-Input: ${signed.headers.get('signature-input')?.slice(0, 90)}…`)

    await step('a signed POST reaches the handler with the verified body', async () => {
      const response = await fetch(signed)
      const body = (await response.json()) as {
        framework?: string
        from?: string
        order?: { qty?: number }
      }
      expect(response.status === 200, `expected 200, got ${response.status}`)
      expect(body.from === 'shop-client-1' && body.order?.qty === 2, JSON.stringify(body))
      return `${response.status}, ${body.framework} handler saw keyid ${body.from}, qty ${body.order.qty}`
    })
    await step('attack refused: the same signature on a changed body', async () => {
      const tampered = new Request(`${server.url}/api/orders`, {
        method: 'POST',
        headers: tamperedHeaders,
        body: JSON.stringify({ sku: 'A-1', qty: 200 }),
      })
      const outcome = await outcomeOf(await fetch(tampered))
      expect(outcome === '401 digest_mismatch', `expected 401 digest_mismatch, got ${outcome}`)
      return outcome
    })
    await step('attack refused: the exact request replayed', async () => {
      const outcome = await outcomeOf(await fetch(replay))
      expect(outcome === '401 replayed', `expected 401 replayed, got ${outcome}`)
      return outcome
    })
    await step('attack refused: an unsigned request', async () => {
      const response = await fetch(`${server.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"sku":"A-1","qty":1}',
      })
      const outcome = await outcomeOf(response)
      expect(outcome === '401 signature_missing', `expected 401 signature_missing, got ${outcome}`)
      return `${outcome}, Accept-Signature: ${response.headers.get('accept-signature')?.slice(0, 40)}…`
    })
  }
} finally {
  await Promise.all(servers.map((server) => server.close()))
  finish('adapters')
}
