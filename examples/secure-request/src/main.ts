/**
 * skapi's `secureRequest({ url, data })` with Countersign, end to end on loopback:
 *
 *   token service (user token) -> client.secureRequest -> relay -> your API (Node or Python)
 *
 * The relay checks the user's token and the target, then forwards `{ user, data, request }`
 * signed with RFC 9421 + Content-Digest. The API verifies with one call and refuses replays.
 * A skapi-compatible target also shows the old `api_key` handler working unchanged, and why
 * it is weaker. Exits non-zero if any step fails.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient, isCountersignError } from '@countersign/client'
import { generateKeyPair, randomBytes } from '@countersign/core'
import { detail, expect, finish, section, step } from '@countersign/example-kit/steps.ts'
import { createRelay } from '@countersign/relay'
import { fieldLinesOf, serveRelay, toWebRequest } from '@countersign/relay/node'
import { createSqliteStore } from '@countersign/store/sqlite'
import { createApiKeys, createTokenService } from '@countersign/tokens'
import { serveTokenService } from '@countersign/tokens/node'
import { createRelayVerifier, type RelayVerifier } from '@countersign/verifier'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../..')
const dir = mkdtempSync(join(tmpdir(), 'countersign-secure-request-'))
const closers: Array<() => Promise<void> | void> = []
const LEGACY_API_KEY = 'your api secret key'

/** A forwarded request as the API received it, kept to replay it later. */
interface Captured {
  url: string
  /** The end-to-end headers (no Host, Content-Length or Connection: fetch sets those). */
  headers: Array<[string, string]>
  body: Uint8Array<ArrayBuffer>
}

function listen(server: Server): Promise<string> {
  return new Promise((resolvePromise) => {
    server.listen(0, '127.0.0.1', () => {
      closers.push(
        () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      )
      resolvePromise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    })
  })
}

/** Your API on plain node:http, like skapi's Node example, verifying the relay's signature. */
async function startNodeApi(
  relay: { verifier?: RelayVerifier },
  captured: Captured[],
): Promise<string> {
  let origin = ''
  const server = createServer(async (req, res) => {
    const request = await toWebRequest(req, { origin })
    if (request instanceof Error) {
      res.writeHead(request.status, { 'content-type': 'application/problem+json' })
      res.end(JSON.stringify(request.toProblem()))
      return
    }
    if (req.method !== 'POST' || new URL(request.url).pathname !== '/myapi') {
      res.writeHead(404).end()
      return
    }
    const body = new Uint8Array(await request.clone().arrayBuffer())
    const hop = new Set(['host', 'content-length', 'connection', 'transfer-encoding'])
    const headers = [...request.headers].filter(([name]) => !hop.has(name))
    captured.push({ url: request.url, headers, body })
    try {
      if (!relay.verifier) {
        throw new Error('the relay is not up yet')
      }
      // One verifier (keys fetched from the relay's JWKS and cached, nonces remembered).
      const { user, data, requestId } = await relay.verifier.verify(request, {
        fieldLines: fieldLinesOf(req),
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ hello: user.user_id, got: data, requestId }))
    } catch (error) {
      if (isCountersignError(error)) {
        res.writeHead(error.status, { 'content-type': 'application/problem+json' })
        res.end(JSON.stringify(error.toProblem()))
      } else {
        console.error(error) // a real bug: never sent to the caller
        res.writeHead(500).end()
      }
    }
  })
  origin = await listen(server)
  return origin
}

/** skapi's Node handler, unchanged: it trusts whoever knows `api_key`. */
async function startLegacyApi(): Promise<string> {
  const server = createServer((request, response) => {
    if (request.method === 'POST') {
      if (request.url === '/myapi') {
        let body = ''
        request.on('data', (data) => {
          body += data
        })
        request.on('end', () => {
          const parsed = JSON.parse(body)
          if (parsed.api_key === LEGACY_API_KEY) {
            response.writeHead(200, { 'Content-Type': 'text/html' })
            response.end(`success for ${parsed.user.user_id}`)
          } else {
            response.writeHead(401, { 'Content-Type': 'text/html' })
            response.end('api key mismatch')
          }
        })
        return
      }
    }
    response.writeHead(404).end()
  })
  return listen(server)
}

/** skapi's Python handler, verifying with countersign_verify, as a child process. */
async function startPythonApi(): Promise<{ url: string; ready: (jwks: unknown) => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.env.PYTHON ?? 'python3',
    [join(here, 'python_api.py')],
    {
      env: {
        ...process.env,
        PYTHONPATH: join(repoRoot, 'python'),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  closers.push(
    () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) {
          return done()
        }
        child.once('exit', () => done())
        child.stdin?.end()
        setTimeout(() => child.kill(), 2000).unref()
      }),
  )
  return new Promise((resolvePromise, reject) => {
    let out = ''
    const timer = setTimeout(
      () => reject(new Error('the Python API did not start in 10 s')),
      10_000,
    )
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the Python API exited with ${code}`)))
    child.stdout?.on('data', (chunk) => {
      out += chunk
      const match = /PORT (\d+)/.exec(out)
      if (match && !out.includes('READY')) {
        clearTimeout(timer)
        resolvePromise({
          url: `http://127.0.0.1:${match[1]}`,
          ready: (jwks) =>
            new Promise((done, fail) => {
              const wait = setTimeout(
                () => fail(new Error('the Python API did not get ready')),
                10_000,
              )
              child.stdout?.on('data', () => {
                if (out.includes('READY')) {
                  clearTimeout(wait)
                  done()
                }
              })
              child.stdin?.write(`${JSON.stringify(jwks)}\n`)
            }),
        })
      }
    })
  })
}

async function main(): Promise<void> {
  section('Setup: token service, your APIs and the relay, all on 127.0.0.1')
  const store = createSqliteStore({ path: join(dir, 'tokens.db') })
  closers.push(() => store.close())
  const masterKey = randomBytes(32)
  const apiKeys = createApiKeys({ store, masterKey })
  const issuer = 'https://tokens.example.test'
  const tokenService = await serveTokenService(
    createTokenService({ store, issuer, masterKey, apiKeys }),
    { port: 0 },
  )
  closers.push(() => tokenService.close())
  const { key: backendKey } = await apiKeys.createApiKey({
    name: 'my app back end',
    scopes: ['user-tokens:issue'],
  })
  detail(`token service on ${tokenService.url} (SQLite)`)

  const apiRelay: { verifier?: RelayVerifier } = {}
  const captured: Captured[] = []
  const apiUrl = await startNodeApi(apiRelay, captured)
  const legacyUrl = await startLegacyApi()
  detail(`your API (node:http + verifyRelayRequest) on ${apiUrl}`)
  detail(`a legacy skapi handler (compares api_key) on ${legacyUrl}`)

  const relayKey = await generateKeyPair('ed25519', { keyId: 'relay-2026-11' })
  const targets = [
    { id: 'myapi', baseUrl: `${apiUrl}/myapi`, allowPrivateNetwork: true },
    {
      id: 'legacy',
      baseUrl: `${legacyUrl}/myapi`,
      allowPrivateNetwork: true,
      skapiCompat: { apiKey: LEGACY_API_KEY },
    },
  ]
  // The Python API binds first (the relay must know its port), then gets the relay's JWKS.
  let python: Awaited<ReturnType<typeof startPythonApi>> | undefined
  try {
    python = await startPythonApi()
    targets.push({ id: 'python', baseUrl: `${python.url}/myapi`, allowPrivateNetwork: true })
  } catch (error) {
    console.log(`  ✘ Python API not started: ${error instanceof Error ? error.message : error}`)
    process.exitCode = 1
  }
  const relay = await serveRelay(
    createRelay({
      keys: [relayKey.privateKey],
      auth: {
        type: 'countersign',
        issuer,
        audience: 'my-app',
        jwksUrl: `${tokenService.url}/.well-known/jwks.json`,
      },
      targets,
      // The example's APIs listen on plain http on loopback; production targets are https.
      localDevelopment: true,
    }),
    { port: 0 },
  )
  const relayUrl = relay.url
  apiRelay.verifier = createRelayVerifier({ jwksUrl: `${relayUrl}/.well-known/jwks.json` })
  const pythonUrl = python?.url ?? ''
  if (python) {
    await python.ready(await (await fetch(`${relayUrl}/.well-known/jwks.json`)).json())
    detail(`your API in Python (http.server + verify_relay_request) on ${pythonUrl}`)
  }
  closers.push(() => relay.close())
  detail(`relay on ${relayUrl}, signing with Ed25519 key ${relayKey.publicKey.keyId}`)

  section('1. The user logs in; the app back end gets a user token for them')
  let userToken = ''
  await step('POST /v1/user-tokens issues a 30-minute user token', async () => {
    const response = await fetch(`${tokenService.url}/v1/user-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${backendKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id: 'user-42', name: 'Ada' }, audience: 'my-app' }),
    })
    const body = (await response.json()) as { access_token: string; expires_in: number }
    expect(response.status === 201, `expected 201, got ${response.status}`)
    userToken = body.access_token
    return `${response.status}, a JWT valid for ${body.expires_in} s`
  })

  const client = createClient({ relayUrl, session: userToken, retries: 0 })

  section('2. client.secureRequest -> relay -> your API (Node)')
  await step('secureRequest({ url, data }) reaches the API as the user', async () => {
    const answer = await client.secureRequest({
      url: `${apiUrl}/myapi`,
      data: { some_data: 'Hello' },
    })
    const data = answer.data as { hello?: string; got?: { some_data?: string } }
    expect(answer.status === 200, `expected 200, got ${answer.status}`)
    expect(data.hello === 'user-42' && data.got?.some_data === 'Hello', JSON.stringify(data))
    return `${answer.status} ${JSON.stringify(data)}`
  })
  const forwarded = captured[0]
  if (forwarded) {
    const input = forwarded.headers.find(([name]) => name === 'signature-input')?.[1] ?? ''
    detail(`the API received Signature-Input: ${input.slice(0, 110)}…`)
    detail(`and the body ${new TextDecoder().decode(forwarded.body).slice(0, 100)}…`)
  }

  await step('attack refused: the forwarded request with a changed body', async () => {
    expect(forwarded !== undefined, 'nothing was captured')
    const body = new TextDecoder()
      .decode(forwarded.body)
      .replace('"user_id":"user-42"', '"user_id":"admin"')
    const response = await fetch(forwarded.url, {
      method: 'POST',
      headers: forwarded.headers,
      body,
    })
    const problem = (await response.json()) as { code?: string }
    const outcome = `${response.status} ${problem.code}`
    expect(outcome === '401 digest_mismatch', `expected 401 digest_mismatch, got ${outcome}`)
    return `${outcome} (user_id changed to admin)`
  })

  await step('attack refused: the forwarded request replayed byte for byte', async () => {
    expect(forwarded !== undefined, 'nothing was captured')
    const response = await fetch(forwarded.url, {
      method: 'POST',
      headers: forwarded.headers,
      body: forwarded.body,
    })
    const problem = (await response.json()) as { code?: string }
    const outcome = `${response.status} ${problem.code}`
    expect(outcome === '401 replayed', `expected 401 replayed, got ${outcome}`)
    return outcome
  })

  await step('attack refused: a forged call straight to the API, without the relay', async () => {
    const response = await fetch(`${apiUrl}/myapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user: { user_id: 'admin' },
        data: {},
        request: { id: 'x', time: 'now' },
      }),
    })
    const problem = (await response.json()) as { code?: string }
    const outcome = `${response.status} ${problem.code}`
    expect(response.status === 401, `expected 401, got ${outcome}`)
    return outcome
  })

  await step('attack refused: the relay will not forward to an unregistered URL', async () => {
    try {
      await client.secureRequest({ url: `${apiUrl}/admin`, data: null })
    } catch (error) {
      expect(isCountersignError(error, 'target_forbidden'), `got ${error}`)
      return `${error.status} ${error.code}`
    }
    throw new Error('the relay forwarded to an unregistered path')
  })

  await step('attack refused: secureRequest with a forged user token', async () => {
    const forger = createClient({ relayUrl, session: `${userToken.slice(0, -4)}AAAA`, retries: 0 })
    try {
      await forger.secureRequest({ url: `${apiUrl}/myapi`, data: null })
    } catch (error) {
      expect(isCountersignError(error, 'not_logged_in'), `got ${error}`)
      return `${error.status} ${error.code}`
    }
    throw new Error('a forged token was accepted')
  })

  section('3. The same call to an API in Python (countersign_verify)')
  if (pythonUrl) {
    await step('secureRequest reaches the Python API, which verifies the signature', async () => {
      const answer = await client.secureRequest({ url: `${pythonUrl}/myapi`, data: { n: 7 } })
      const data = answer.data as { hello?: string; lang?: string; got?: { n?: number } }
      expect(
        answer.status === 200 && data.hello === 'user-42' && data.got?.n === 7,
        JSON.stringify(data),
      )
      return `${answer.status} ${JSON.stringify(data)}`
    })
    await step('attack refused: a forged call straight to the Python API', async () => {
      const response = await fetch(`${pythonUrl}/myapi`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          user: { user_id: 'admin' },
          data: {},
          request: { id: 'x', time: 1 },
        }),
      })
      const problem = (await response.json()) as { code?: string }
      const outcome = `${response.status} ${problem.code}`
      expect(response.status === 401, `expected 401, got ${outcome}`)
      return outcome
    })
  }

  section('4. skapiCompat: an unchanged skapi handler that compares api_key (weaker)')
  await step('the legacy handler answers through the relay (body carries api_key)', async () => {
    const answer = await client.secureRequest({
      url: `${legacyUrl}/myapi`,
      data: { some_data: 'Hello' },
    })
    expect(
      answer.status === 200 && answer.data === 'success for user-42',
      `got ${answer.status} ${answer.data}`,
    )
    return `${answer.status} "${answer.data}"`
  })
  await step('why it is weaker: anyone holding api_key can post as any user', async () => {
    const response = await fetch(`${legacyUrl}/myapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: { user_id: 'admin' }, data: {}, api_key: LEGACY_API_KEY }),
    })
    const text = await response.text()
    expect(response.status === 200, `expected the legacy handler to accept, got ${response.status}`)
    return `${response.status} "${text}": no relay, no signature, no replay check; migrate to verifyRelayRequest`
  })
  await step('the legacy handler still refuses a wrong api_key', async () => {
    const response = await fetch(`${legacyUrl}/myapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: { user_id: 'admin' }, data: {}, api_key: 'guess' }),
    })
    expect(response.status === 401, `expected 401, got ${response.status}`)
    return `${response.status} "${await response.text()}"`
  })
}

try {
  console.log('Countersign secureRequest example: real servers on 127.0.0.1, real SQLite.')
  await main()
} finally {
  for (const close of closers.reverse()) {
    await close()
  }
  rmSync(dir, { recursive: true, force: true })
  finish('secure-request')
}
