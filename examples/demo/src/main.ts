/**
 * The main Countersign demo (`pnpm demo`). It starts real servers on loopback ports, walks
 * through the seed flows with Countersign, and shows an attack refused in each:
 *
 * 1. Signed requests (RFC 9421 + RFC 9530), and the legacy Icypeas scheme verified strictly.
 * 2. Parameter tokens (Kudo): keep back-end parameters out of URLs.
 * 3. User tokens (Kaizala): a 30-minute token the API validates locally or remotely.
 * 4. secureRequest through the relay (skapi) to APIs in Node and Python: the
 *    examples/secure-request walk-through, run as a child process.
 *
 * It exits non-zero if any step fails.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, isCountersignError, type Key, randomBytes } from '@countersign/core'
import { detail, expect, finish, section, step } from '@countersign/example-kit/steps.ts'
import { signIcypeas, signRequest } from '@countersign/signer'
import { createSqliteStore } from '@countersign/store/sqlite'
import { createApiKeys, createTokenService, verifyUserToken } from '@countersign/tokens'
import { type RunningServer, serveTokenService as serveHandler } from '@countersign/tokens/node'
import { createVerifier, verifyIcypeas } from '@countersign/verifier'

const dir = mkdtempSync(join(tmpdir(), 'countersign-demo-'))
const servers: RunningServer[] = []

/** Answers a Countersign error as RFC 9457 problem details; anything else is a real bug. */
function problem(error: unknown): Response {
  if (isCountersignError(error)) {
    return Response.json(error.toProblem(), {
      status: error.status,
      headers: { 'content-type': 'application/problem+json' },
    })
  }
  throw error
}

async function codeOf(response: Response): Promise<string> {
  const body = (await response.json()) as { code?: string; message?: string }
  return `${response.status} ${body.code ?? body.message ?? ''}`.trim()
}

async function signedRequests(): Promise<void> {
  section('1. Signed requests: RFC 9421 signatures over method, target and body digest')
  const client = await generateKeyPair('ed25519')
  const known = new Map<string, Key>([[client.publicKey.keyId, client.publicKey]])
  const icypeasSecret = 'icy-secret-for-the-demo'
  const verifier = createVerifier({ keys: (keyId) => known.get(keyId) })

  const api = await serveHandler(
    async (request) => {
      try {
        if (new URL(request.url).pathname.startsWith('/legacy/')) {
          const legacy = await verifyIcypeas(request, {
            secrets: (apiKey) => (apiKey === 'demo-api-key' ? icypeasSecret : undefined),
          })
          return Response.json({ ok: true, apiKey: legacy.apiKey })
        }
        const verified = await verifier.verifyRequest(request)
        const order = JSON.parse(new TextDecoder().decode(verified.body))
        return Response.json({ ok: true, keyId: verified.keyId, order })
      } catch (error) {
        return problem(error)
      }
    },
    { port: 0 },
  )
  servers.push(api)
  detail(`API on ${api.url}, trusting one Ed25519 key (${client.publicKey.keyId.slice(0, 12)}…)`)

  const order = new Request(`${api.url}/orders?priority=high`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'A-1', qty: 2 }),
  })
  const signed = await signRequest(order, { key: client.privateKey })
  const replay = signed.clone()
  detail(`Signature-Input: ${signed.headers.get('signature-input')}`)
  detail(`Content-Digest: ${signed.headers.get('content-digest')}`)

  await step('a signed POST is accepted', async () => {
    const response = await fetch(signed)
    const body = (await response.json()) as { ok?: boolean; order?: { qty: number } }
    expect(response.status === 200 && body.order?.qty === 2, `expected 200, got ${response.status}`)
    return `${response.status}, the API read qty=${body.order.qty} from the verified bytes`
  })

  await step('attack refused: the same signature on a changed body', async () => {
    const tampered = new Request(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body: JSON.stringify({ sku: 'A-1', qty: 200 }),
    })
    const outcome = await codeOf(await fetch(tampered))
    expect(outcome === '401 digest_mismatch', `expected 401 digest_mismatch, got ${outcome}`)
    return outcome
  })

  await step('attack refused: the exact request replayed', async () => {
    const outcome = await codeOf(await fetch(replay))
    expect(outcome === '401 replayed', `expected 401 replayed, got ${outcome}`)
    return outcome
  })

  await step('attack refused: the signature moved to another path', async () => {
    const fresh = await signRequest(new Request(`${api.url}/orders`, { method: 'GET' }), {
      key: client.privateKey,
    })
    const moved = new Request(`${api.url}/admin`, { method: 'GET', headers: fresh.headers })
    const outcome = await codeOf(await fetch(moved))
    expect(outcome === '401 signature_invalid', `expected 401 signature_invalid, got ${outcome}`)
    return outcome
  })

  await step('legacy Icypeas request (HMAC-SHA1 + X-ROCK-TIMESTAMP) accepted', async () => {
    const legacy = await signIcypeas(
      new Request(`${api.url}/legacy/v1/search`, { method: 'POST' }),
      {
        apiKey: 'demo-api-key',
        secret: icypeasSecret,
      },
    )
    const response = await fetch(legacy)
    expect(response.status === 200, `expected 200, got ${response.status}`)
    return `${response.status} (Authorization: demo-api-key:<hex>, X-ROCK-TIMESTAMP ${legacy.headers.get('x-rock-timestamp')})`
  })

  await step('attack refused: an Icypeas MAC reused on an upper-cased path', async () => {
    const legacy = await signIcypeas(
      new Request(`${api.url}/legacy/v1/search`, { method: 'POST' }),
      {
        apiKey: 'demo-api-key',
        secret: icypeasSecret,
      },
    )
    const moved = new Request(`${api.url}/legacy/V1/SEARCH`, {
      method: 'POST',
      headers: legacy.headers,
    })
    const outcome = await codeOf(await fetch(moved))
    expect(outcome.startsWith('401'), `expected 401, got ${outcome}`)
    return `${outcome} (lowercasing would let both paths share one MAC)`
  })
}

async function tokenFlows(): Promise<void> {
  const dbPath = join(dir, 'tokens.db')
  const store = createSqliteStore({ path: dbPath })
  const masterKey = randomBytes(32)
  const apiKeys = createApiKeys({ store, masterKey })
  const issuer = 'https://tokens.demo.test'
  const service = await serveHandler(createTokenService({ store, issuer, masterKey, apiKeys }), {
    port: 0,
  })
  servers.push(service)
  const { key: backendKey } = await apiKeys.createApiKey({
    name: 'demo back end',
    scopes: ['tokens:generate', 'tokens:revoke', 'user-tokens:issue'],
  })

  section('2. Parameter tokens (Kudo): parameters and API keys stay out of URLs')
  detail(`token service on ${service.url}, SQLite file ${dbPath}`)
  let token = ''
  await step('POST /generate returns a short-lived token', async () => {
    const response = await fetch(`${service.url}/generate`, {
      method: 'POST',
      headers: { 'x-api-key': backendKey, 'content-type': 'application/json' },
      body: JSON.stringify({ drawing: 'plans/level-2.dwg', storageKey: 'backend-secret-123' }),
    })
    const body = (await response.json()) as { token: string; expiration_time: number }
    expect(response.status === 200 && typeof body.token === 'string', `got ${response.status}`)
    token = body.token
    detail(`editor URL: https://editor.example/open?token=${token.slice(0, 14)}…`)
    return `${response.status}, expiration_time ${body.expiration_time} (unix seconds)`
  })

  await step('GET /verify returns the parameters to the editor back end', async () => {
    const response = await fetch(`${service.url}/verify`, { headers: { 'x-api-token': token } })
    const body = (await response.json()) as { drawing?: string }
    expect(
      response.status === 200 && body.drawing === 'plans/level-2.dwg',
      `got ${response.status}`,
    )
    return `${response.status}, drawing=${body.drawing}`
  })

  await step('the database holds only hashes: the token is nowhere in the files', async () => {
    const files = readdirSync(dir).filter((name) => name.startsWith('tokens.db'))
    const leaked = files.filter((name) => readFileSync(join(dir, name)).includes(token))
    const secretLeaked = files.filter((name) =>
      readFileSync(join(dir, name)).includes('backend-secret-123'),
    )
    expect(
      leaked.length === 0 && secretLeaked.length === 0,
      `found in ${[...leaked, ...secretLeaked]}`,
    )
    return `searched ${files.join(', ')}: no token, no parameter`
  })

  await step('attack refused: a guessed token (bad checksum, no lookup made)', async () => {
    const guess = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
    const response = await fetch(`${service.url}/verify`, { headers: { 'x-api-token': guess } })
    expect(response.status === 403, `expected 403, got ${response.status}`)
    return `${response.status} ${((await response.json()) as { message: string }).message}`
  })

  await step('attack refused: the token after revocation (RFC 7009)', async () => {
    const revoke = await fetch(`${service.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${backendKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    })
    expect(revoke.status === 200, `revoke answered ${revoke.status}`)
    const response = await fetch(`${service.url}/verify`, { headers: { 'x-api-token': token } })
    expect(response.status === 403, `expected 403, got ${response.status}`)
    return `${response.status} ${((await response.json()) as { message: string }).message}`
  })

  section('3. User tokens (Kaizala): a 30-minute token, validated locally or remotely')
  let accessToken = ''
  await step('the back end issues a user token for the signed-in user', async () => {
    const response = await fetch(`${service.url}/v1/user-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${backendKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        user: {
          id: 'user-42',
          name: 'Ada',
          phoneNumber: '+15550100',
          pictureUrl: 'https://pics.example/ada.png',
        },
        audience: 'action-package-7',
      }),
    })
    const body = (await response.json()) as { access_token: string; expires_in: number }
    expect(response.status === 201, `expected 201, got ${response.status}`)
    accessToken = body.access_token
    return `${response.status}, a JWT valid for ${body.expires_in} s`
  })

  await step('the API validates it locally against the JWKS (no call per request)', async () => {
    const jwks = await (await fetch(`${service.url}/.well-known/jwks.json`)).json()
    const claims = await verifyUserToken(accessToken, {
      issuer,
      audience: 'action-package-7',
      jwks,
    })
    expect(claims.user.id === 'user-42', `unexpected user ${claims.user.id}`)
    return `user ${claims.user.id} (${claims.user.name}), expires ${claims.expiresAt.toISOString()}`
  })

  await step('the API validates it remotely: GET /v1/users/me', async () => {
    const response = await fetch(`${service.url}/v1/users/me`, { headers: { accessToken } })
    const body = (await response.json()) as { id: string; name: string; actionPackageId: string }
    expect(response.status === 200 && body.id === 'user-42', `got ${response.status}`)
    return `${response.status} { id: ${body.id}, name: ${body.name}, actionPackageId: ${body.actionPackageId} }`
  })

  await step('attack refused: a token whose claims were edited', async () => {
    const [header, payload, signature] = accessToken.split('.')
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString())
    claims.sub = 'admin'
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    const response = await fetch(`${service.url}/v1/users/me`, { headers: { accessToken: forged } })
    expect(response.status === 401, `expected 401, got ${response.status}`)
    return `${response.status}`
  })

  await step('attack refused: a token for another app (audience)', async () => {
    const jwks = await (await fetch(`${service.url}/.well-known/jwks.json`)).json()
    try {
      await verifyUserToken(accessToken, { issuer, audience: 'another-app', jwks })
    } catch (error) {
      expect(isCountersignError(error, 'token_invalid'), `expected token_invalid, got ${error}`)
      return error.code
    }
    throw new Error('a token for another audience was accepted')
  })
  await store.close()
}

/** Flow 4 lives in examples/secure-request; run it and count it as one step per outcome. */
async function relayFlow(): Promise<void> {
  section(
    '4. secureRequest through the relay (skapi): client -> relay -> your API in Node and Python',
  )
  await step('examples/secure-request ran to the end with every step passing', async () => {
    const script = join(import.meta.dirname, '../../secure-request/src/main.ts')
    const args = process.argv.includes('--quiet') ? [script, '--quiet'] : [script]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code === 0, `examples/secure-request exited with ${code}`)
    return 'exit 0'
  })
}

try {
  console.log('Countersign demo: real servers on 127.0.0.1, real SQLite, no mocks.')
  await signedRequests()
  await tokenFlows()
  await relayFlow()
} finally {
  await Promise.all(servers.map((server) => server.close()))
  rmSync(dir, { recursive: true, force: true })
  finish('demo')
}
