/**
 * Shared helpers for the relay's tests: loopback servers with connection counters, a counting
 * stub resolver, keys and a custom-auth stub. Never imported by library code.
 *
 * @internal
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyRing, generateKeyPair, type Key, type KeyRing } from '@countersign/core'
import type { HostResolver, ResolvedAddress } from './ssrf/guarded-agent.ts'
import type { CustomAuth, RelayUser } from './types.ts'

/** A loopback server under test. */
export interface TestServer {
  server: Server
  url: string
  port: number
  /** TCP connections accepted so far. */
  connections(): number
  /** Requests seen so far. */
  requests(): number
  close(): Promise<void>
}

/** Starts a `node:http` server on 127.0.0.1 with a free port, counting connections. */
export async function startServer(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  let connections = 0
  let requests = 0
  const server = createServer((req, res) => {
    requests++
    listener(req, res)
  })
  server.on('connection', () => {
    connections++
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A stub resolver that answers from a table and records every name it is asked for. */
export function countingResolver(table: Record<string, readonly string[]>): {
  resolver: HostResolver
  calls: string[]
} {
  const calls: string[] = []
  const resolver: HostResolver = async (hostname) => {
    calls.push(hostname)
    const addresses = table[hostname]
    if (addresses === undefined) {
      const error = new Error(`stub resolver: no entry for ${hostname}`) as NodeJS.ErrnoException
      error.code = 'ENOTFOUND'
      throw error
    }
    return addresses.map(
      (address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }),
    )
  }
  return { resolver, calls }
}

/** A relay key ring with one fresh Ed25519 key, and its public half. */
export async function relayKeys(keyId = 'relay-test-1'): Promise<{
  ring: KeyRing
  privateKey: Key
  publicKey: Key
}> {
  const { privateKey, publicKey } = await generateKeyPair('ed25519', { keyId })
  return { ring: createKeyRing([privateKey]), privateKey, publicKey }
}

/** Custom auth for tests: `Authorization: Bearer user:<id>` is user `<id>`; anything else is nobody. */
export const testAuth: CustomAuth = {
  type: 'custom',
  authenticate(request): RelayUser | null {
    const match = /^Bearer user:([A-Za-z0-9_-]+)$/.exec(request.headers.get('authorization') ?? '')
    return match === null ? null : { user_id: match[1] as string, role: 'tester' }
  },
}

/** A `POST /secure-request` to the relay, as a browser client would send it. */
export function relayRequest(
  body: unknown,
  options: { token?: string | null; contentType?: string | null; raw?: string } = {},
): Request {
  const headers: Record<string, string> = {}
  const token = options.token === undefined ? 'user:u1' : options.token
  if (token !== null) {
    headers.authorization = `Bearer ${token}`
  }
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType
  if (contentType !== null) {
    headers['content-type'] = contentType
  }
  return new Request('http://relay.test/secure-request', {
    method: 'POST',
    headers,
    body: options.raw ?? JSON.stringify(body),
  })
}

/** Reads a JSON answer. */
export async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>
}
