/**
 * Icypeas' two ways of calling an API, and the same API behind RFC 9421 signatures, end to end
 * on 127.0.0.1 with the partner's credentials in SQLite:
 *
 * 1. The API key alone (`Authorization: <key>`): `signApiKey` / `verifyApiKeyRequest`.
 * 2. Key + secret (HMAC-SHA1 + `X-ROCK-TIMESTAMP`): `signIcypeas` / `verifyIcypeas`, strictly.
 * 3. RFC 9421 + RFC 9530 (`hmac-sha256` over method, target URI and body digest, with created,
 *    nonce and keyid): `signRequest` / `createVerifier`.
 *
 * A tampered and a replayed request are refused. Exits non-zero if any step fails.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  hashSecret,
  importKey,
  isCountersignError,
  type Key,
  randomBytes,
  toBase64Url,
} from '@countersign/core'
import { detail, expect, finish, section, step } from '@countersign/example-kit/steps.ts'
import { signApiKey, signIcypeas, signRequest } from '@countersign/signer'
import { createSqliteStore } from '@countersign/store/sqlite'
import { serveTokenService as serveHandler } from '@countersign/tokens/node'
import { createVerifier, verifyApiKeyRequest, verifyIcypeas } from '@countersign/verifier'

const dir = mkdtempSync(join(tmpdir(), 'countersign-signed-requests-'))
const store = createSqliteStore({ path: join(dir, 'partners.db') })

/** A partner's credentials as the API stores them: looked up by the hash of the API key. */
interface PartnerRecord {
  hash: string
  name: string
  keyId: string
  secret: string
}

async function savePartner(apiKey: string, record: Omit<PartnerRecord, 'hash'>): Promise<void> {
  const hash = await hashSecret(apiKey)
  const value = JSON.stringify({ ...record, hash })
  await store.set(`partner:${hash}`, value)
  await store.set(`partner-by-keyid:${record.keyId}`, value)
}

async function partnerByHash(hash: string): Promise<PartnerRecord | undefined> {
  const value = await store.get(`partner:${hash}`)
  return value === undefined ? undefined : (JSON.parse(value) as PartnerRecord)
}

const hmacKeys = new Map<string, Key>()
/** The RFC 9421 key resolver: `keyid` -> the partner's secret as an hmac-sha256 key. */
async function keyFor(keyId: string): Promise<Key | undefined> {
  const cached = hmacKeys.get(keyId)
  if (cached) {
    return cached
  }
  const value = await store.get(`partner-by-keyid:${keyId}`)
  if (value === undefined) {
    return undefined
  }
  const { secret } = JSON.parse(value) as PartnerRecord
  const key = await importKey(new TextEncoder().encode(secret), { algorithm: 'hmac-sha256', keyId })
  hmacKeys.set(keyId, key)
  return key
}

const verifier = createVerifier({ keys: keyFor, nonceStore: store })

/** The API: one search route, under the three ways of proving the caller. */
async function api(request: Request): Promise<Response> {
  try {
    const { pathname } = new URL(request.url)
    if (request.method !== 'POST') {
      return Response.json({ message: 'use POST' }, { status: 405 })
    }
    if (pathname === '/api/key-only/search') {
      const { record } = await verifyApiKeyRequest(request, { lookup: partnerByHash })
      const query = (await request.json()) as unknown
      return Response.json({ ok: true, partner: record.name, query })
    }
    // Routed case-insensitively, as many legacy stacks do: the verifier must not be fooled by it.
    if (pathname.toLowerCase() === '/api/a/actions/search') {
      const { apiKey } = await verifyIcypeas(request, {
        secrets: async (key) => (await partnerByHash(await hashSecret(key)))?.secret,
        nonceStore: store, // each MAC accepted once within the window
      })
      const partner = await partnerByHash(await hashSecret(apiKey))
      return Response.json({ ok: true, partner: partner?.name, query: await request.json() })
    }
    if (pathname === '/v2/search') {
      const verified = await verifier.verifyRequest(request)
      const query = JSON.parse(new TextDecoder().decode(verified.body)) as unknown
      return Response.json({ ok: true, keyId: verified.keyId, query })
    }
    return Response.json({ message: 'not found' }, { status: 404 })
  } catch (error) {
    if (isCountersignError(error)) {
      return Response.json(error.toProblem(), {
        status: error.status,
        headers: { 'content-type': 'application/problem+json' },
      })
    }
    throw error
  }
}

async function outcomeOf(response: Response): Promise<string> {
  const body = (await response.json()) as { code?: string }
  return `${response.status} ${body.code ?? ''}`.trim()
}

const server = await serveHandler(api, { port: 0 })
try {
  console.log('Countersign signed-requests example: a real server on 127.0.0.1, real SQLite.')
  const apiKey = `ipk_${toBase64Url(randomBytes(24))}`
  const secret = toBase64Url(randomBytes(32))
  await savePartner(apiKey, { name: 'acme', keyId: 'acme-1', secret })
  const search = (path: string, body: unknown = { email: 'test@icypeas.com' }) =>
    new Request(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  detail(`API on ${server.url}; partner "acme" stored in SQLite by the hash of its key`)

  section('1. Icypeas mode 1: the API key alone (signApiKey / verifyApiKeyRequest)')
  await step('a request carrying the key is accepted', async () => {
    const request = await signApiKey(search('/api/key-only/search'), { apiKey })
    detail(`Authorization: ${apiKey.slice(0, 8)}… (the bare key, as Icypeas expects)`)
    const response = await fetch(request)
    const body = (await response.json()) as { partner?: string }
    expect(response.status === 200 && body.partner === 'acme', `got ${response.status}`)
    return `${response.status}, partner ${body.partner}`
  })
  await step('attack refused: a made-up key', async () => {
    const request = await signApiKey(search('/api/key-only/search'), { apiKey: 'ipk_guess' })
    const outcome = await outcomeOf(await fetch(request))
    expect(outcome === '401 api_key_invalid', `expected 401 api_key_invalid, got ${outcome}`)
    return outcome
  })
  await step('the limit of this mode: a changed body still passes', async () => {
    const request = await signApiKey(search('/api/key-only/search', { email: 'x@evil' }), {
      apiKey,
    })
    const response = await fetch(request)
    expect(response.status === 200, `got ${response.status}`)
    return `${response.status}: the key proves who, not what; use modes 2 or 3 for that`
  })

  section('2. Icypeas mode 2: key + secret, HMAC-SHA1 (signIcypeas / verifyIcypeas)')
  const icy = await signIcypeas(search('/api/a/actions/search'), { apiKey, secret })
  const icyReplay = icy.clone()
  detail(`X-ROCK-TIMESTAMP: ${icy.headers.get('x-rock-timestamp')}`)
  await step('a signed request is accepted', async () => {
    const response = await fetch(icy)
    const body = (await response.json()) as { partner?: string }
    expect(response.status === 200 && body.partner === 'acme', `got ${response.status}`)
    return `${response.status}, partner ${body.partner}`
  })
  await step('attack refused: the same request replayed', async () => {
    const outcome = await outcomeOf(await fetch(icyReplay))
    expect(outcome === '401 replayed', `expected 401 replayed, got ${outcome}`)
    return outcome
  })
  await step('attack refused: the timestamp changed (MAC no longer matches)', async () => {
    const fresh = await signIcypeas(search('/api/a/actions/search'), { apiKey, secret })
    const headers = new Headers(fresh.headers)
    headers.set('x-rock-timestamp', new Date(Date.now() + 1000).toISOString())
    const tampered = new Request(fresh.url, { method: 'POST', headers, body: '{}' })
    const outcome = await outcomeOf(await fetch(tampered))
    expect(outcome === '401 signature_invalid', `expected 401 signature_invalid, got ${outcome}`)
    return outcome
  })
  await step('attack refused: the MAC reused on the upper-cased path', async () => {
    const fresh = await signIcypeas(search('/api/a/actions/search'), { apiKey, secret })
    const moved = new Request(`${server.url}/API/A/ACTIONS/SEARCH`, {
      method: 'POST',
      headers: fresh.headers,
      body: '{}',
    })
    const outcome = await outcomeOf(await fetch(moved))
    expect(outcome.startsWith('401'), `expected 401, got ${outcome}`)
    return `${outcome} (the scheme lowercases, so both paths share a MAC; refused strictly)`
  })
  await step('attack refused: a timestamp ten minutes old', async () => {
    const old = await signIcypeas(search('/api/a/actions/search'), {
      apiKey,
      secret,
      timestamp: new Date(Date.now() - 600_000),
    })
    const outcome = await outcomeOf(await fetch(old))
    expect(outcome === '401 signature_expired', `expected 401 signature_expired, got ${outcome}`)
    return outcome
  })

  section('3. The same API behind RFC 9421 signatures (signRequest / createVerifier)')
  const key = await importKey(new TextEncoder().encode(secret), {
    algorithm: 'hmac-sha256',
    keyId: 'acme-1',
  })
  const signed = await signRequest(search('/v2/search', { email: 'test@icypeas.com' }), { key })
  const replay = signed.clone()
  detail(`Signature-Input: ${signed.headers.get('signature-input')}`)
  detail(`Content-Digest: ${signed.headers.get('content-digest')}`)
  await step('a signed request is accepted; the body is covered too', async () => {
    const response = await fetch(signed)
    const body = (await response.json()) as { keyId?: string; query?: { email?: string } }
    expect(
      response.status === 200 && body.query?.email === 'test@icypeas.com',
      `got ${response.status}`,
    )
    return `${response.status}, keyid ${body.keyId}, email ${body.query.email}`
  })
  await step('attack refused: the same signature on a changed body', async () => {
    const tampered = new Request(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body: JSON.stringify({ email: 'x@evil' }),
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
  await step('attack refused: a signature from an unknown key', async () => {
    const stranger = await importKey(randomBytes(32), { algorithm: 'hmac-sha256', keyId: 'nobody' })
    const request = await signRequest(search('/v2/search'), { key: stranger })
    const outcome = await outcomeOf(await fetch(request))
    expect(outcome === '401 key_unknown', `expected 401 key_unknown, got ${outcome}`)
    return outcome
  })
} finally {
  await server.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  finish('signed-requests')
}
