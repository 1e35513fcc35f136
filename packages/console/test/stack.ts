/**
 * The token service with the console mounted at /console, on loopback, over real SQLite files
 * (one for the token store, one for the audit log), with a clock the tests can move forward.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toBase64Url } from '@countersign/core'
import { serveHandler } from '@countersign/node-server'
import { createSqliteStore } from '@countersign/store/sqlite'
import {
  createApiKeys,
  createParameterTokens,
  createSigningKeys,
  createTokenService,
  createUserTokens,
  TOKEN_SERVICE_SCOPES,
} from '@countersign/tokens'
import { createConsole, tokenServiceAuditLogger } from '../src/index.ts'
import { createSqliteAuditStore } from '../src/sqlite/index.ts'

export interface Stack {
  url: string
  origin: string
  adminKey: string
  adminId: string
  dir: string
  auditPath: string
  /** Moves every clock of the stack forward. */
  advance(ms: number): void
  /** Creates a key directly (not through the console). */
  createKey(scopes: string[]): Promise<{ id: string; key: string }>
  issueUserToken(): Promise<string>
  close(): Promise<void>
}

export async function startStack(options: { sessionTtlMs?: number } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-console-'))
  let skew = 0
  const now = (): number => Date.now() + skew
  const store = createSqliteStore({ path: join(dir, 'tokens.db'), now })
  const auditPath = join(dir, 'audit.db')
  const audit = createSqliteAuditStore({ path: auditPath, now })
  const masterKey = toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
  const issuer = 'https://tokens.test'
  const apiKeys = createApiKeys({ store, masterKey, now })
  const signingKeys = createSigningKeys({ store, masterKey, now })
  const userTokens = createUserTokens({ issuer, keys: signingKeys, store, now })
  const parameterTokens = createParameterTokens({ store, now })
  const service = createTokenService({
    store,
    issuer,
    masterKey,
    apiKeys,
    signingKeys,
    userTokens,
    parameterTokens,
    logger: tokenServiceAuditLogger(audit),
  })
  const console = createConsole({
    apiKeys,
    userTokens,
    parameterTokens,
    signingKeys,
    audit,
    sessionStore: store,
    now,
    ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
  })
  const handler = (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname
    return path === '/console' || path.startsWith('/console/') ? console(request) : service(request)
  }
  const running = await serveHandler(handler, { port: 0, host: '127.0.0.1' })
  const admin = await apiKeys.createApiKey({
    name: 'root admin',
    scopes: [TOKEN_SERVICE_SCOPES.admin],
  })
  const issuerKey = await apiKeys.createApiKey({ name: 'issuer', scopes: ['user-tokens:issue'] })
  return {
    url: `${running.url}/console`,
    origin: running.url,
    adminKey: admin.key,
    adminId: admin.id,
    dir,
    auditPath,
    advance: (ms) => {
      skew += ms
    },
    createKey: (scopes) => apiKeys.createApiKey({ name: `key ${scopes.join(' ')}`, scopes }),
    async issueUserToken() {
      const response = await fetch(`${running.url}/v1/user-tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': issuerKey.key },
        body: JSON.stringify({ user: { id: 'u_ada', name: 'Ada' }, audience: 'pkg' }),
      })
      return ((await response.json()) as { access_token: string }).access_token
    },
    async close() {
      await running.close()
      await audit.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Signs in through the API; returns the cookie header and CSRF token. */
export async function signIn(
  stack: Stack,
  key = stack.adminKey,
): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const response = await fetch(`${stack.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: stack.origin },
    body: JSON.stringify({ key }),
  })
  if (response.status !== 200) {
    throw new Error(`sign-in failed: ${response.status} ${await response.text()}`)
  }
  const setCookie = response.headers.get('set-cookie') ?? ''
  const { csrf } = (await response.json()) as { csrf: string }
  return { cookie: setCookie.split(';')[0] as string, csrf, setCookie }
}
