/**
 * The scaled-out deployment the tests run against, all real and on loopback: a Redis Cluster
 * (3 masters, 3 replicas), two token services and three relays (separate processes, each with
 * its own cluster client), two instances of an upstream API that verifies the relay's HMAC
 * signatures with its nonces in the cluster, and HAProxy in front of each tier.
 *
 * @module
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  importKey,
  isCountersignError,
  randomBytes,
  type Store,
  toBase64Url,
} from '@countersign/core'
import { fieldLinesOf, toWebRequest } from '@countersign/relay/node'
import { createRedisStore } from '@countersign/store/redis'
import {
  freePortRange,
  type RunningRedisCluster,
  startRedisCluster,
} from '@countersign/testkit/redis-cluster.ts'
import { createApiKeys } from '@countersign/tokens'
import { createRelayVerifier } from '@countersign/verifier'
import { launch, type Owned, startHaproxy, stopAll, waitUp } from './processes.ts'

/** What the upstream API instances received: one entry per accepted forwarded request. */
export interface Received {
  instance: number
  requestId: string
  data: unknown
  /** The raw request, to replay it. */
  method: string
  path: string
  headers: Record<string, string>
  body: Buffer
}

/** The running deployment. */
export interface Deployment {
  cluster: RunningRedisCluster
  /** A store on the cluster with the services' prefix, for the test's own setup. */
  store: Store
  prefix: string
  masterKey: string
  issuer: string
  audience: string
  relays: Owned[]
  tokens: Owned[]
  relayUrl: string
  tokensUrl: string
  apiUrl: string
  apiPorts: number[]
  /** Accepted forwarded requests, and refusals by code. */
  received: Received[]
  refused: Array<{ instance: number; code: string }>
  /** An API key allowed to issue and revoke user tokens and generate parameter tokens. */
  apiKey: string
  stop(): Promise<void>
}

/** Options for {@link startDeployment}. */
export interface DeploymentOptions {
  rotateEveryMs?: number
  overlapMs?: number
  perUser?: { limit: number; windowMs: number }
  /** Use this single Redis instead of the cluster (the load run's baseline). */
  redisUrl?: string
  /** How many relays (default 3, at most 3) and token services (default 2, at most 2). */
  relays?: number
  tokenServices?: number
  /** The cluster's `cluster-node-timeout` (default 1000 ms). */
  nodeTimeoutMs?: number
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
}

async function startApi(
  instance: number,
  port: number,
  store: Store,
  secret: Uint8Array,
  deployment: Pick<Deployment, 'received' | 'refused'>,
): Promise<Server> {
  const key = await importKey(secret, { algorithm: 'hmac-sha256', keyId: 'relay-hmac' })
  const verifier = createRelayVerifier({ keys: [key], nonceStore: store })
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.url === '/healthz') {
      res.end('ok')
      return
    }
    const request = await toWebRequest(req, { maxBodyBytes: 64 * 1024 })
    if (request instanceof Error) {
      res.writeHead(request.status).end()
      return
    }
    const body = Buffer.from(await request.clone().arrayBuffer())
    try {
      const verified = (await verifier.verify(request, { fieldLines: fieldLinesOf(req) })) as {
        requestId: string
        data: unknown
      }
      const headers: Record<string, string> = {}
      for (const [name, value] of request.headers) {
        headers[name] = value
      }
      deployment.received.push({
        instance,
        requestId: verified.requestId,
        data: verified.data,
        method: request.method,
        path: new URL(request.url).pathname,
        headers,
        body,
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true, instance }))
    } catch (error) {
      const code = isCountersignError(error) ? error.code : 'internal_error'
      deployment.refused.push({ instance, code })
      const status = isCountersignError(error) ? error.status : 500
      res.writeHead(status, { 'content-type': 'application/problem+json' })
      res.end(JSON.stringify({ code }))
    }
  }
  const server = createServer((req, res) => void handle(req, res))
  await listen(server, port)
  return server
}

/** Starts the whole deployment; `stop()` tears all of it down (call it in `afterAll`). */
export async function startDeployment(options: DeploymentOptions = {}): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-scale-'))
  const cleanup: Array<() => Promise<unknown> | unknown> = [
    () => rmSync(dir, { recursive: true, force: true }),
  ]
  const stop = async () => {
    stopAll()
    for (const step of cleanup.reverse()) {
      await Promise.resolve(step()).catch(() => undefined)
    }
  }
  try {
    const cluster = await startRedisCluster({ nodeTimeoutMs: options.nodeTimeoutMs ?? 1000 })
    cleanup.push(() => cluster.stop())
    const base = await freePortRange(12)
    const [relayLb, tokensLb, apiLb, api0, api1, t0, t1, r0, r1, r2] = Array.from(
      { length: 10 },
      (_, i) => base + i,
    ) as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ]
    const prefix = `scale${base}`
    const masterKey = toBase64Url(randomBytes(32))
    const secret = randomBytes(32)
    const issuer = 'https://tokens.scale.test'
    const audience = 'relay.scale.test'
    const rootNodes = cluster.urls.slice(0, 3)
    const url = options.redisUrl
    const where = url === undefined ? { cluster: { rootNodes } } : { url }
    const store = await createRedisStore({ ...where, prefix })
    cleanup.push(() => store.close())
    const received: Received[] = []
    const refused: Array<{ instance: number; code: string }> = []
    for (const [instance, port] of [api0, api1].entries()) {
      const apiStore = await createRedisStore({ ...where, prefix })
      const server = await startApi(instance, port, apiStore, secret, { received, refused })
      cleanup.push(() => apiStore.close())
      cleanup.push(
        () =>
          new Promise((resolve) => {
            server.closeAllConnections()
            server.close(resolve)
          }),
      )
    }
    const tokenPorts = [t0, t1].slice(0, options.tokenServices ?? 2)
    const relayPorts = [r0, r1, r2].slice(0, options.relays ?? 3)
    const tokens = await Promise.all(
      tokenPorts.map((port) =>
        launch({
          kind: 'tokens',
          port,
          rootNodes,
          ...(url === undefined ? {} : { url }),
          prefix,
          issuer,
          masterKey,
          rotateEveryMs: options.rotateEveryMs ?? 86_400_000,
          overlapMs: options.overlapMs ?? 3_600_000,
          maxTtlMs: (options.overlapMs ?? 3_600_000) / 2,
        }),
      ),
    )
    const lb = await startHaproxy(dir, [
      { name: 'tokens', port: tokensLb, backends: tokenPorts, check: '/.well-known/jwks.json' },
      { name: 'api', port: apiLb, backends: [api0, api1], check: '/healthz' },
      { name: 'relays', port: relayLb, backends: relayPorts, check: '/healthz' },
    ])
    const relays = await Promise.all(
      relayPorts.map((port) =>
        launch({
          kind: 'relay',
          port,
          rootNodes,
          ...(url === undefined ? {} : { url }),
          prefix,
          issuer,
          audience,
          jwksUrl: `http://127.0.0.1:${tokensLb}/.well-known/jwks.json`,
          apiUrl: `http://127.0.0.1:${apiLb}/api`,
          hmacSecret: toBase64Url(secret),
          perUser: options.perUser ?? { limit: 1000, windowMs: 60_000 },
        }),
      ),
    )
    void lb
    // Every relay in rotation before the tests start (one check interval after they listen).
    await new Promise((resolve) => setTimeout(resolve, 700))
    await waitUp(`http://127.0.0.1:${relayLb}/healthz`)
    const apiKeys = createApiKeys({ store, masterKey })
    const { key: apiKey } = await apiKeys.createApiKey({
      name: 'scale tests',
      scopes: ['user-tokens:issue', 'tokens:revoke', 'tokens:generate', 'tokens:introspect'],
    })
    return {
      cluster,
      store,
      prefix,
      masterKey,
      issuer,
      audience,
      relays,
      tokens,
      relayUrl: `http://127.0.0.1:${relayLb}`,
      tokensUrl: `http://127.0.0.1:${tokensLb}`,
      apiUrl: `http://127.0.0.1:${apiLb}`,
      apiPorts: [api0, api1],
      received,
      refused,
      apiKey,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
