/**
 * The real servers the client is tested against, all on 127.0.0.1 with free ports:
 *
 * - `tokens`: the token service (`createTokenService`, memory store, served by
 *   `@countersign/tokens/node`), with one API key allowed to issue user tokens and parameter
 *   tokens;
 * - `api`: a custom API on `node:http` that checks every forwarded request with
 *   `verifyRelayRequest` and answers by path (`/api/echo`, `/api/conflict`, `/api/text`, …);
 * - `relay`: the relay (`createRelay` + `serveRelay`) with `api` registered as a target
 *   (`allowPrivateNetwork`, it is loopback) and a second target whose port is closed;
 * - `protected`: a server whose routes are checked with `@countersign/verifier` (RFC 9421, the
 *   Icypeas and API-key presets), plus a few unverified `/misc/*` routes for transport tests
 *   (`/misc/redirect?status=&to=` answers a redirect);
 * - `web`: the page origin: serves the browser page and bundles, and `POST /login`, which gets
 *   a user token from the token service with the server-side API key.
 *
 * Browser-facing servers answer CORS for the page origin.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createMemoryStore,
  generateKeyPair,
  hashSecret,
  importKey,
  isCountersignError,
  type Key,
  randomBytes,
} from '@countersign/core'
import { createRelay } from '@countersign/relay'
import { serveRelay } from '@countersign/relay/node'
import { createApiKeys, createTokenService } from '@countersign/tokens'
import { serveTokenService } from '@countersign/tokens/node'
import {
  createVerifier,
  verifyApiKey,
  verifyIcypeas,
  verifyRelayRequest,
} from '@countersign/verifier'

/** The audience of user tokens the relay accepts. */
export const AUDIENCE = 'client-tests'
/** The issuer of user tokens. */
export const ISSUER = 'https://tokens.countersign.test'
/** The Icypeas credentials the protected server knows. */
export const ICYPEAS = { apiKey: 'icy-key-1', secret: 'icy-secret-1' }
/** The API key (key-only preset) the protected server knows. */
export const PLAIN_API_KEY = 'plain-api-key-123'

/** A static asset served by the web server. */
export interface Asset {
  type: string
  body: string | Uint8Array
}

/** A running server. */
export interface Running {
  url: string
  close(): Promise<void>
}

/** Everything {@link startStack} starts. */
export interface Stack {
  tokens: Running & {
    /** An API key with the `tokens:generate` and `user-tokens:issue` scopes. */
    apiKey: string
  }
  relay: Running
  api: Running & {
    /** Forwarded requests that verified, newest last. */
    received: Array<{
      user: Record<string, unknown>
      data: unknown
      requestId: string
      path: string
    }>
  }
  protected: Running & {
    /** Public keys by key id: register a client key here (or `POST /keys` from a page). */
    keys: Map<string, Key>
    /** Attempts per `/misc/flaky` id. */
    attempts: Map<string, number>
    /** The last verification failure code (for assertions). */
    lastFailure: string | undefined
  }
  web: Running & {
    /** `POST /login` calls so far. */
    logins: number
    /** Assets served by path. */
    assets: Map<string, Asset>
  }
  /** A loopback URL where nothing listens. */
  closedUrl: string
  close(): Promise<void>
}

function listen(server: Server): Promise<Running> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) {
    chunks.push(chunk as Buffer)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

/** The `node:http` request as a Web `Request`, with every raw header line kept. */
async function toRequest(req: IncomingMessage): Promise<Request> {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
  }
  const method = req.method ?? 'GET'
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req)
  return new Request(`http://${req.headers.host}${req.url}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  })
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  type = 'application/json',
): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': type, ...headers })
  res.end(text)
}

function sendError(res: ServerResponse, error: unknown, headers: Record<string, string>): string {
  if (isCountersignError(error)) {
    send(res, error.status, error.toProblem(), headers, 'application/problem+json')
    return error.code
  }
  send(res, 500, { code: 'internal_error' }, headers)
  return 'internal_error'
}

function cors(origin: string, exposed = 'date, countersign-error'): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': exposed,
    vary: 'origin',
  }
}

/** Starts every server. `close()` stops them all. */
export async function startStack(): Promise<Stack> {
  const opened: Running[] = []
  // Port 1 (tcpmux) on loopback: nothing listens there, and unlike a port freed by a closed
  // server it cannot be handed to another test's server meanwhile.
  const closedUrl = 'http://127.0.0.1:1'

  // The page origin first: the relay and the protected server answer CORS for it.
  let tokensUrl = ''
  let issuingKey = ''
  const assets = new Map<string, Asset>()
  const webState = { logins: 0 }
  const web = await listen(
    createServer((req, res) => {
      void (async () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname
        if (req.method === 'POST' && path === '/login') {
          webState.logins++
          const body = await readBody(req)
          const input =
            body.byteLength === 0 ? {} : (JSON.parse(Buffer.from(body).toString()) as object)
          const answer = await fetch(`${tokensUrl}/v1/user-tokens`, {
            method: 'POST',
            headers: { authorization: `Bearer ${issuingKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              user: { id: 'u_ada', name: 'Ada' },
              audience: AUDIENCE,
              ttl: '10m',
              ...input,
            }),
          })
          send(res, answer.status, await answer.text())
          return
        }
        const asset = assets.get(path)
        if (req.method === 'GET' && asset !== undefined) {
          res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' })
          res.end(asset.body)
          return
        }
        send(res, 404, { code: 'not_found' })
      })().catch(() => send(res, 500, { code: 'internal_error' }))
    }),
  )
  opened.push(web)
  const origin = web.url

  // The token service.
  const store = createMemoryStore()
  const masterKey = randomBytes(32)
  const apiKeys = createApiKeys({ store, masterKey })
  const { key } = await apiKeys.createApiKey({
    name: 'client-tests',
    scopes: ['tokens:generate', 'user-tokens:issue'],
  })
  issuingKey = key
  const tokenService = await serveTokenService(
    createTokenService({ store, issuer: ISSUER, masterKey, apiKeys }),
    { port: 0 },
  )
  tokensUrl = tokenService.url
  opened.push(tokenService)

  // The custom API, checking what the relay forwards.
  const relayKeys = await generateKeyPair('ed25519', { keyId: 'relay-test-1' })
  const verifyOptions = { keys: [relayKeys.publicKey] }
  const received: Stack['api']['received'] = []
  const api = await listen(
    createServer((req, res) => {
      void (async () => {
        const request = await toRequest(req)
        const path = new URL(request.url).pathname
        let verified: Awaited<ReturnType<typeof verifyRelayRequest>>
        try {
          verified = await verifyRelayRequest(request, verifyOptions)
        } catch (error) {
          sendError(res, error, {})
          return
        }
        const { user, data, requestId } = verified
        received.push({ user, data, requestId, path })
        switch (path) {
          case '/api/echo':
            send(res, 200, { ok: true, user, data, requestId })
            return
          case '/api/conflict':
            send(res, 409, { error: 'conflict', data })
            return
          case '/api/text':
            send(res, 200, 'plain answer', {}, 'text/plain; charset=utf-8')
            return
          case '/api/empty':
            res.writeHead(204)
            res.end()
            return
          case '/api/own-problem':
            send(
              res,
              422,
              { type: 'https://example.com/probs/out-of-stock', title: 'out', code: 'stock' },
              {},
              'application/problem+json',
            )
            return
          default:
            send(res, 404, { error: 'no such route' })
        }
      })().catch(() => send(res, 500, { code: 'internal_error' }))
    }),
  )
  opened.push(api)

  // The relay.
  const relay = createRelay({
    keys: [relayKeys.privateKey],
    auth: {
      type: 'countersign',
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `${tokensUrl}/.well-known/jwks.json`,
    },
    targets: [
      {
        id: 'api',
        baseUrl: `${api.url}/api`,
        allowPrivateNetwork: true,
        allowHttp: true,
        timeoutMs: 5000,
      },
      {
        id: 'down',
        baseUrl: `${closedUrl}/down`,
        allowPrivateNetwork: true,
        allowHttp: true,
        timeoutMs: 2000,
      },
    ],
    cors: { allowedOrigins: [origin] },
  })
  const relayServer = await serveRelay(relay, { port: 0 })
  opened.push({
    url: relayServer.url,
    close: async () => {
      await relayServer.close()
      await relay.close()
    },
  })

  // The verifier-protected server.
  const keys = new Map<string, Key>()
  const attempts = new Map<string, number>()
  const protectedState: { lastFailure: string | undefined } = { lastFailure: undefined }
  const verifier = createVerifier({ keys: (id) => keys.get(id) })
  const plainKeyHash = await hashSecret(PLAIN_API_KEY)
  const hanging = new Set<ServerResponse>()
  const protectedServer = await listen(
    createServer((req, res) => {
      void (async () => {
        const headers = cors(origin)
        if (req.method === 'OPTIONS') {
          res.writeHead(204, {
            ...headers,
            'access-control-allow-methods': 'GET, POST, PUT, DELETE',
            'access-control-allow-headers':
              'content-type, content-digest, signature, signature-input, authorization, x-rock-timestamp',
            'access-control-max-age': '60',
          })
          res.end()
          return
        }
        const request = await toRequest(req)
        const url = new URL(request.url)
        const path = url.pathname
        if (path === '/keys' && request.method === 'POST') {
          const jwk = (await request.json()) as JsonWebKey & { kid: string }
          keys.set(jwk.kid, await importKey(jwk, { keyId: jwk.kid }))
          send(res, 201, { registered: jwk.kid }, headers)
          return
        }
        if (path.startsWith('/misc/')) {
          const id = url.searchParams.get('id') ?? 'default'
          const count = (attempts.get(id) ?? 0) + 1
          attempts.set(id, count)
          if (path === '/misc/flaky') {
            const failures = Number(url.searchParams.get('fail') ?? '1')
            if (count <= failures) {
              send(res, 503, { code: 'store_unavailable' }, { ...headers, 'retry-after': '0' })
            } else {
              send(res, 200, { attempts: count, method: request.method }, headers)
            }
            return
          }
          if (path === '/misc/drop') {
            // Close the connection without an answer: a network error for the client.
            const failures = Number(url.searchParams.get('fail') ?? '1')
            if (count <= failures) {
              req.socket.destroy()
            } else {
              send(res, 200, { attempts: count }, headers)
            }
            return
          }
          if (path === '/misc/redirect') {
            // Answers `status` with `Location: to` (relative or absolute).
            const status = Number(url.searchParams.get('status') ?? '302')
            res.writeHead(status, { ...headers, location: url.searchParams.get('to') ?? '/' })
            res.end()
            return
          }
          if (path.startsWith('/misc/hang')) {
            hanging.add(res)
            return
          }
          if (path === '/misc/skewed') {
            // Answers as a server whose clock is `offset` ms ahead: 401 signature_expired with
            // that Date until the signature's created is within 60 s of it.
            const offset = Number(url.searchParams.get('offset') ?? '0')
            const serverNow = Date.now() + offset
            const input = request.headers.get('signature-input') ?? ''
            const created = Number(/;created=(\d+)/.exec(input)?.[1] ?? '0') * 1000
            const date = new Date(serverNow).toUTCString()
            if (Math.abs(serverNow - created) > 60_000) {
              send(
                res,
                401,
                {
                  type: 'https://countersign.dev/errors/signature_expired',
                  title: 'signature expired',
                  status: 401,
                  code: 'signature_expired',
                },
                { ...headers, date },
                'application/problem+json',
              )
            } else {
              send(res, 200, { attempts: count, created }, { ...headers, date })
            }
            return
          }
          if (path === '/misc/always-expired') {
            send(
              res,
              401,
              {
                type: 'https://countersign.dev/errors/signature_expired',
                title: 'signature expired',
                status: 401,
                code: 'signature_expired',
              },
              headers,
              'application/problem+json',
            )
            return
          }
          send(res, 404, { code: 'not_found' }, headers)
          return
        }
        try {
          if (path.startsWith('/icypeas/')) {
            const result = await verifyIcypeas(request, {
              secrets: (apiKey) => (apiKey === ICYPEAS.apiKey ? ICYPEAS.secret : undefined),
            })
            send(res, 200, { ok: true, scheme: 'icypeas', apiKey: result.apiKey }, headers)
            return
          }
          if (path.startsWith('/api-key/')) {
            await verifyApiKey(request, {
              lookup: (hash) => (hash === plainKeyHash ? { hash } : undefined),
            })
            send(res, 200, { ok: true, scheme: 'api-key' }, headers)
            return
          }
          const result = await verifier.verifyRequest(request)
          send(
            res,
            200,
            {
              ok: true,
              keyId: result.keyId,
              algorithm: result.algorithm,
              method: request.method,
              path,
              body: new TextDecoder().decode(result.body),
            },
            headers,
          )
        } catch (error) {
          protectedState.lastFailure = sendError(res, error, headers)
        }
      })().catch(() => send(res, 500, { code: 'internal_error' }))
    }),
  )
  opened.push({
    url: protectedServer.url,
    close: async () => {
      for (const res of hanging) {
        res.destroy()
      }
      await protectedServer.close()
    },
  })

  return {
    tokens: { ...tokenService, apiKey: issuingKey },
    relay: { url: relayServer.url, close: async () => undefined },
    api: { ...api, received },
    protected: {
      ...protectedServer,
      keys,
      attempts,
      get lastFailure() {
        return protectedState.lastFailure
      },
    },
    web: {
      ...web,
      get logins() {
        return webState.logins
      },
      assets,
    },
    closedUrl,
    async close() {
      await Promise.all(opened.map((server) => server.close()))
    },
  }
}

/** A provider that logs in through the web server's `POST /login`, as a page would. */
export function loginProvider(stack: Stack, claimedLifetimeMs?: number) {
  return async () => {
    const answer = await fetch(`${stack.web.url}/login`, { method: 'POST' })
    if (!answer.ok) {
      throw new Error(`login failed with ${answer.status}`)
    }
    const body = (await answer.json()) as { access_token: string; expires_at: number }
    return {
      token: body.access_token,
      expiresAt:
        claimedLifetimeMs === undefined ? body.expires_at * 1000 : Date.now() + claimedLifetimeMs,
    }
  }
}
