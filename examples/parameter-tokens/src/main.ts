/**
 * Kudo's token service with Countersign, end to end on 127.0.0.1 with SQLite:
 *
 *   partner back end --POST /generate (x-api-key, params)--> token service --> { token, expiration_time }
 *   browser --GET editor/open?token=…--> editor back end --GET /verify (x-api-token)--> params
 *
 * The editor URL carries only the token; the API key, the file path and the server id stay on
 * the servers. Tokens here live 3 seconds, so the run also shows one expiring, and one revoked.
 * Exits non-zero if any step fails.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { randomBytes } from '@countersign/core'
import { detail, expect, finish, section, step } from '@countersign/example-kit/steps.ts'
import { createSqliteStore } from '@countersign/store/sqlite'
import { createApiKeys, createParameterTokens, createTokenService } from '@countersign/tokens'
import { serveTokenService } from '@countersign/tokens/node'

const TTL_SECONDS = 3
const dir = mkdtempSync(join(tmpdir(), 'countersign-parameter-tokens-'))
const store = createSqliteStore({ path: join(dir, 'tokens.db') })
const masterKey = randomBytes(32)
const apiKeys = createApiKeys({ store, masterKey })
const service = await serveTokenService(
  createTokenService({
    store,
    issuer: 'https://tokens.example.test',
    masterKey,
    apiKeys,
    parameterTokens: createParameterTokens({ store, defaultTtl: `${TTL_SECONDS}s` }),
  }),
  { port: 0 },
)

/** The editor's back end: reads the parameters behind the token, server side. */
const editor = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://editor.invalid')
  const token = url.searchParams.get('token')
  if (url.pathname !== '/open' || !token) {
    res.writeHead(404).end()
    return
  }
  const answer = await fetch(`${service.url}/verify`, { headers: { 'x-api-token': token } })
  const body = (await answer.json()) as Record<string, string>
  if (answer.status !== 200) {
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({ message: body.message, code: answer.headers.get('countersign-error') }),
    )
    return
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ opened: body.file, for: body.userId, on: body.server }))
})
const editorUrl: string = await new Promise((resolve) => {
  editor.listen(0, '127.0.0.1', () =>
    resolve(`http://127.0.0.1:${(editor.address() as AddressInfo).port}`),
  )
})

const params = {
  auth: 'partner-secret-apikey-123',
  file: 'drawings/level-2.dwg',
  userId: 'user-7',
  server: 'storage-eu-1',
}

async function generate(apiKey: string): Promise<{ token: string; expiration_time: number }> {
  const response = await fetch(`${service.url}/generate`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  })
  expect(response.status === 200, `POST /generate answered ${response.status}`)
  return (await response.json()) as { token: string; expiration_time: number }
}

async function open(token: string): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(`${editorUrl}/open?token=${encodeURIComponent(token)}`)
  return { status: response.status, body: (await response.json()) as Record<string, string> }
}

try {
  console.log('Countersign parameter-tokens example: real servers on 127.0.0.1, real SQLite.')
  const { key: partnerKey } = await apiKeys.createApiKey({
    name: 'partner acme',
    scopes: ['tokens:generate', 'tokens:revoke'],
  })
  detail(`token service on ${service.url}, editor back end on ${editorUrl}`)

  section('1. Generate a token for the editor parameters (POST /generate, x-api-key)')
  let token = ''
  await step('the partner back end gets { token, expiration_time }', async () => {
    const answer = await generate(partnerKey)
    token = answer.token
    const lifetime = answer.expiration_time - Math.floor(Date.now() / 1000)
    expect(lifetime > 0 && lifetime <= TTL_SECONDS + 1, `lifetime ${lifetime} s`)
    return `token ${token.slice(0, 10)}…, expiration_time ${answer.expiration_time} (in ~${lifetime} s)`
  })
  await step('attack refused: /generate with a wrong API key', async () => {
    const response = await fetch(`${service.url}/generate`, {
      method: 'POST',
      headers: { 'x-api-key': 'cs_ak_guess', 'content-type': 'application/json' },
      body: JSON.stringify(params),
    })
    expect(response.status === 403, `expected 403, got ${response.status}`)
    return `${response.status} ${((await response.json()) as { message: string }).message}`
  })

  section('2. Open the editor with only the token; its back end verifies it')
  await step('the editor URL holds the token and nothing else', async () => {
    const url = `${editorUrl}/open?token=${token}`
    detail(`editor URL: ${url.replace(token, `${token.slice(0, 10)}…`)}`)
    const leaked = Object.values(params).filter((value) => url.includes(value))
    expect(leaked.length === 0, `the URL leaks ${leaked.join(', ')}`)
    return 'no API key, file path, user or server in it'
  })
  await step('GET /verify (x-api-token) gives the editor its parameters', async () => {
    const { status, body } = await open(token)
    expect(status === 200 && body.opened === params.file, `got ${status} ${JSON.stringify(body)}`)
    return `${status}, opened ${body.opened} for ${body.for} on ${body.on}`
  })
  await step('the database holds no token and no parameter in the clear', async () => {
    const files = readdirSync(dir).filter((name) => name.startsWith('tokens.db'))
    const found = files.filter((name) => {
      const bytes = readFileSync(join(dir, name))
      return bytes.includes(token) || bytes.includes(params.auth) || bytes.includes(params.file)
    })
    expect(found.length === 0, `found in ${found.join(', ')}`)
    return `searched ${files.join(', ')}`
  })
  await step('attack refused: a guessed token (bad checksum, no lookup)', async () => {
    const guess = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
    const { status, body } = await open(guess)
    expect(status === 403, `expected 403, got ${status}`)
    return `${status} ${body.message} (${body.code})`
  })

  section(`3. Expiry: tokens here live ${TTL_SECONDS} seconds`)
  await step('attack refused: the token after it expired', async () => {
    await sleep(TTL_SECONDS * 1000 + 1500)
    const { status, body } = await open(token)
    expect(status === 403 && body.code === 'token_expired', `got ${status} ${JSON.stringify(body)}`)
    return `${status} ${body.message} (${body.code})`
  })

  section('4. Revocation (RFC 7009 POST /oauth/revoke)')
  await step('attack refused: a fresh token after the partner revoked it', async () => {
    const fresh = (await generate(partnerKey)).token
    expect((await open(fresh)).status === 200, 'the fresh token did not open the editor')
    const revoke = await fetch(`${service.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${partnerKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: fresh }),
    })
    expect(revoke.status === 200, `revoke answered ${revoke.status}`)
    const { status, body } = await open(fresh)
    expect(status === 403 && body.code === 'token_revoked', `got ${status} ${JSON.stringify(body)}`)
    return `opened once, then ${status} ${body.message} (${body.code})`
  })
} finally {
  await new Promise<void>((resolve) => {
    editor.close(() => resolve())
    editor.closeAllConnections()
  })
  await service.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  finish('parameter-tokens')
}
