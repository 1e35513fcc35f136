/**
 * A JWKS outage is a dependency outage, not a bad credential: with the JWKS server on loopback
 * stopped, the relay answers 503 `jwks_unavailable` for OIDC and for Countersign tokens checked
 * by JWKS URL; once it is back, 200; an unknown `kid` with a healthy JWKS stays 401.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMemoryStore } from '@countersign/core'
import { createSigningKeys, createUserTokens } from '@countersign/tokens'
import * as jose from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { createRelay } from '../create-relay.ts'
import { json, relayKeys, relayRequest, startServer, type TestServer } from '../test-kit.ts'
import type { RelayAuth, RelayHandler } from '../types.ts'

const ISSUER = 'https://tokens.test'
const AUDIENCE = 'relay-test'

/** A JWKS server on a fixed loopback port that can be stopped and started again. */
async function jwksServer(body: () => unknown): Promise<{
  url: string
  stop(): Promise<void>
  start(): Promise<void>
}> {
  let server: Server | undefined
  let port = 0
  const start = async (): Promise<void> => {
    const next = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body()))
    })
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve))
    port = (next.address() as AddressInfo).port
    server = next
  }
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server?.closeAllConnections()
      server?.close(() => resolve())
    })
  await start()
  return { url: `http://127.0.0.1:${port}/jwks`, stop, start }
}

let api: TestServer
const closers: (() => Promise<void>)[] = []

afterAll(async () => {
  await Promise.all(closers.map((close) => close()))
})

async function relayFor(auth: RelayAuth): Promise<RelayHandler> {
  api ??= await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  })
  if (closers.length === 0) {
    closers.push(() => api.close())
  }
  const { ring } = await relayKeys()
  const relay = createRelay({
    keys: ring,
    auth,
    targets: [{ id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true }],
  })
  closers.push(() => relay.close())
  return relay
}

async function answer(relay: RelayHandler, token: string): Promise<[number, unknown]> {
  const response = await relay(relayRequest({ url: `${api.url}/api/me`, data: {} }, { token }))
  return [response.status, (await json(response)).code]
}

/** The relay's answer once it is 200, polling: a failed fetch is retried within a second. */
async function answerOnceUp(relay: RelayHandler, token: string): Promise<[number, unknown]> {
  let last = await answer(relay, token)
  for (let i = 0; i < 40 && last[0] !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    last = await answer(relay, token)
  }
  return last
}

interface Case {
  name: string
  /** The relay's auth for a JWKS URL, the JWKS body, a valid token, one with an unknown kid. */
  setup(): Promise<{ auth: (url: string) => RelayAuth; jwks: unknown; good: string; bad: string }>
}

const cases: Case[] = [
  {
    name: 'OIDC',
    async setup() {
      const { publicKey, privateKey } = await jose.generateKeyPair('RS256')
      const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'oidc-1', alg: 'RS256', use: 'sig' }
      const sign = (kid: string) =>
        new jose.SignJWT({ sub: 'oidc-user' })
          .setProtectedHeader({ alg: 'RS256', kid })
          .setIssuer('https://idp.test')
          .setAudience('relay-client')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
      return {
        auth: (jwksUrl) => ({
          type: 'oidc',
          issuer: 'https://idp.test',
          audience: 'relay-client',
          jwksUrl,
        }),
        jwks: { keys: [jwk] },
        good: await sign('oidc-1'),
        bad: await sign('oidc-unknown'),
      }
    },
  },
  {
    name: 'Countersign user tokens by JWKS URL',
    async setup() {
      const store = createMemoryStore()
      const keys = createSigningKeys()
      const other = createSigningKeys()
      const tokens = createUserTokens({ issuer: ISSUER, keys, store })
      const stranger = createUserTokens({ issuer: ISSUER, keys: other, store: createMemoryStore() })
      const user = { user: { id: 'u-1' }, audience: AUDIENCE }
      return {
        auth: (jwksUrl) => ({ type: 'countersign', issuer: ISSUER, audience: AUDIENCE, jwksUrl }),
        jwks: await keys.jwks(),
        good: (await tokens.issueUserToken(user)).token,
        bad: (await stranger.issueUserToken(user)).token,
      }
    },
  },
]

describe.each(cases)('$name with a JWKS URL', ({ setup }) => {
  it('answers 503 jwks_unavailable while the JWKS server is down, 200 once it is back', async () => {
    const { auth, jwks, good } = await setup()
    const server = await jwksServer(() => jwks)
    await server.stop()
    const relay = await relayFor(auth(server.url))
    expect(await answer(relay, good)).toEqual([503, 'jwks_unavailable'])
    expect(await answer(relay, good)).toEqual([503, 'jwks_unavailable'])
    await server.start()
    closers.push(() => server.stop())
    expect(await answerOnceUp(relay, good)).toEqual([200, undefined])
  })

  it('keeps using the keys it fetched while the JWKS server is down', async () => {
    const { auth, jwks, good } = await setup()
    const server = await jwksServer(() => jwks)
    const relay = await relayFor(auth(server.url))
    expect((await answer(relay, good))[0]).toBe(200)
    await server.stop()
    expect((await answer(relay, good))[0]).toBe(200)
  })

  it('answers 401 not_logged_in for an unknown kid when the JWKS is healthy', async () => {
    const { auth, jwks, bad } = await setup()
    const server = await jwksServer(() => jwks)
    closers.push(() => server.stop())
    const relay = await relayFor(auth(server.url))
    expect(await answer(relay, bad)).toEqual([401, 'not_logged_in'])
  })
})
