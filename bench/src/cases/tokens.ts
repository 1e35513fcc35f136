/**
 * `@countersign/tokens` on its stores against the raw platform limit of the same lookup:
 *
 * - parameter-token `verify` on the SQLite store against one primary-key `SELECT` on a prepared
 *   `node:sqlite` statement, over a table holding the same rows;
 * - parameter-token `verify` on the Redis store against a node-redis `GET` on a dedicated
 *   client, both with 50 operations in flight;
 * - user-token JWT `verifyUserToken` against one raw `node:crypto` Ed25519 verify of the same
 *   signing input, with `jose.jwtVerify` as the peer.
 *
 * Every group issues its tokens in `setup`, checks that every implementation accepts them (and
 * refuses a tampered one where that is cheap), and removes its temp files and Redis keys in
 * `teardown`.
 *
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  createSecretKey,
  hash,
  type KeyObject,
  verify as nodeVerify,
  randomBytes,
} from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import {
  createKeyRing,
  createMemoryStore,
  fromBase64Url,
  generateSecret,
  importKey,
  type Jwks,
  type KeyRing,
  type Store,
} from '@countersign/core'
import { createRedisStore } from '@countersign/store/redis'
import { createSqliteStore } from '@countersign/store/sqlite'
import {
  createParameterTokens,
  createSigningKeys,
  createUserTokens,
  PARAMETER_TOKEN_PREFIX,
  type ParameterTokens,
  verifyUserToken,
} from '@countersign/tokens'
import * as jose from 'jose'
import { createClient } from 'redis'
import { type Group, SkipGroup } from '../harness.ts'

/** Tokens per pool (a power of two, so the next index is a mask). */
const POOL = 1024
const MASK = POOL - 1
/** The store key namespace of format v2 parameter-token records (docs/spec/tokens.md). */
const PT_NAMESPACE = 'cs:pt2:'
/** The domain label of format v2's one hash of the token. */
const PT_DOMAIN = 'countersign parameter token v2\u0000'
const PARAMS = { auth: 'apiKey', file: 'plans/2026/site-7.dwg', server: 'eu-west-2' }
const IN_FLIGHT = 50

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new Error(`${what}: setup has not run`)
  }
  return value
}

/**
 * Format v2's one hash of a token: the store key from its first half and the record key from
 * its second (docs/spec/tokens.md), by hand.
 */
function placeV2(token: string): { key: string; recordKey: Buffer } {
  const h = hash('sha512', PT_DOMAIN + token, 'buffer')
  return { key: PT_NAMESPACE + h.toString('base64url', 0, 32), recordKey: h.subarray(32) }
}

/** Issues `POOL` tokens for PARAMS; their store keys are `cs:pt2:<first half of SHA-512>`. */
async function issuePool(
  tokens: ParameterTokens,
  batch: number,
): Promise<{ tokens: string[]; keys: string[] }> {
  const out: string[] = []
  while (out.length < POOL) {
    const n = Math.min(batch, POOL - out.length)
    const issued = await Promise.all(
      Array.from({ length: n }, () => tokens.issue(PARAMS, { ttl: '6h' })),
    )
    out.push(...issued.map((t) => t.token))
  }
  const keys = out.map((t) => placeV2(t).key)
  return { tokens: out, keys }
}

/**
 * The hand-written minimum for this record format (v2), after the read: parse the record, take
 * the record key from the token's SHA-512 (computed with the store key), open the AES-256-GCM
 * payload bound to the store key, parse the parameters. No checksum, no state or expiry checks,
 * no error handling beyond a throw.
 */
function rawOpen(recordKey: Buffer, key: string, record: string): unknown {
  const entry = JSON.parse(record) as { d: string }
  const [, iv, body] = entry.d.split('.') as [string, string, string]
  const sealed = Buffer.from(body, 'base64url')
  return JSON.parse(openGcm(createSecretKey(recordKey), Buffer.from(iv, 'base64url'), sealed, key))
}

/** AES-256-GCM open on a `KeyObject`, the fastest node:crypto path (a raw Buffer key is slower). */
function openGcm(keyObject: KeyObject, iv: Buffer, sealed: Buffer, aad: string): string {
  const decipher = createDecipheriv('aes-256-gcm', keyObject, iv, { authTagLength: 16 })
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  decipher.setAAD(Buffer.from(aad))
  const out = decipher.update(sealed.subarray(0, sealed.length - 16), undefined, 'utf8')
  return out + decipher.final('utf8')
}

/**
 * One AES-256-GCM open of a record-sized payload on a cached key: the least that keeping the
 * parameters encrypted at rest adds to a read, whatever the key derivation.
 */
interface GcmFloor {
  key: KeyObject
  iv: Buffer
  sealed: Buffer
  aad: string
}

function makeGcmFloor(): GcmFloor {
  const key = createSecretKey(randomBytes(32))
  const iv = randomBytes(12)
  const aad = `${PT_NAMESPACE}${'x'.repeat(43)}`
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 })
  cipher.setAAD(Buffer.from(aad))
  const body = Buffer.concat([cipher.update(JSON.stringify(PARAMS), 'utf8'), cipher.final()])
  const sealed = Buffer.concat([body, cipher.getAuthTag()])
  if (openGcm(key, iv, sealed, aad) !== JSON.stringify(PARAMS)) {
    throw new Error('AES-GCM floor: the round trip failed')
  }
  return { key, iv, sealed, aad }
}

/** Checks that the hand-written pipeline opens every record of the pool to PARAMS. */
function checkRawOpen(pool: string[], read: (key: string) => string): void {
  const expected = JSON.stringify(PARAMS)
  for (const token of pool) {
    const { key, recordKey } = placeV2(token)
    if (JSON.stringify(rawOpen(recordKey, key, read(key))) !== expected) {
      throw new Error('the hand-written pipeline does not open the records, refusing to benchmark')
    }
  }
}

/** Verifies every token of the pool and checks the parameters came back intact. */
async function checkPool(tokens: ParameterTokens, pool: string[]): Promise<void> {
  const expected = JSON.stringify(PARAMS)
  for (const token of pool) {
    const got = JSON.stringify(await tokens.verify(token))
    if (got !== expected) {
      throw new Error(`parameter token verify returned ${got}, expected ${expected}`)
    }
  }
  // A well-formed token that was never issued, and a revoked one, must be refused.
  const revoked = (await tokens.issue(PARAMS, { ttl: '1m' })).token
  await tokens.revoke(revoked)
  for (const [token, code] of [
    [generateSecret(PARAMETER_TOKEN_PREFIX), 'token_invalid'],
    [revoked, 'token_revoked'],
  ] as const) {
    const got = await tokens.verify(token).then(
      () => 'verified',
      (error: unknown) => (error as { code?: unknown }).code,
    )
    if (got !== code) {
      throw new Error(`parameter token verify: expected ${code}, got ${String(got)}`)
    }
  }
}

// --- 1. Parameter tokens on SQLite --------------------------------------------------------------

interface SqliteState {
  dir: string
  store: Store
  tokens: ParameterTokens
  pool: string[]
  keys: string[]
  raw: DatabaseSync
  select: StatementSync
  gcm: GcmFloor
}

let sq: SqliteState | undefined
let sqNext = 0
function nextSq(): number {
  sqNext = (sqNext + 1) & MASK
  return sqNext
}

async function sqliteSetup(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cs-bench-tokens-'))
  const store = createSqliteStore({ path: join(dir, 'countersign.db'), sweepIntervalMs: 0 })
  let raw: DatabaseSync | undefined
  try {
    const tokens = createParameterTokens({ store })
    const { tokens: pool, keys } = await issuePool(tokens, 64)
    await checkPool(tokens, pool)
    // The raw table: the same rows (key and sealed record), copied from the store's file.
    const db = new DatabaseSync(join(dir, 'raw.db'))
    raw = db
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID')
    db.exec(`ATTACH DATABASE '${join(dir, 'countersign.db').replaceAll("'", "''")}' AS cs`)
    db.exec('INSERT INTO kv (key, value) SELECT key, value FROM cs.countersign_kv')
    const count = (sql: string): number =>
      Number((db.prepare(sql).get() as { n: number | bigint }).n)
    const rows = count('SELECT count(*) AS n FROM kv')
    if (rows < POOL || rows !== count('SELECT count(*) AS n FROM cs.countersign_kv')) {
      throw new Error(`the raw table has ${rows} rows, not as many as the store`)
    }
    db.exec('DETACH DATABASE cs')
    const select = db.prepare('SELECT value FROM kv WHERE key = ?')
    for (const key of keys) {
      const row = select.get(key) as { value?: unknown } | undefined
      if (typeof row?.value !== 'string' || (await store.get(key)) !== row.value) {
        throw new Error('raw SQLite table and the store disagree on a token record')
      }
    }
    checkRawOpen(pool, (key) => (select.get(key) as { value: string }).value)
    sq = { dir, store, tokens, pool, keys, raw: db, select, gcm: makeGcmFloor() }
  } catch (error) {
    raw?.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

async function sqliteTeardown(): Promise<void> {
  const state = sq
  sq = undefined
  if (state === undefined) {
    return
  }
  try {
    state.raw.close()
    await state.store.close()
  } finally {
    await rm(state.dir, { recursive: true, force: true })
  }
}

// --- 2. Parameter tokens on Redis ---------------------------------------------------------------

function newRedisClient(url: string) {
  return createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } })
}

type RedisClient = ReturnType<typeof newRedisClient>

interface RedisState {
  prefix: string
  client: RedisClient
  store: Store
  tokens: ParameterTokens
  pool: string[]
  /** The store keys of the pool's records (`cs:pt:<hash>`). */
  keys: string[]
  /** The same records' Redis keys, as the store lays them out. */
  redisKeys: string[]
  /** Redis key of a store key, as the store lays it out. */
  redisKey: (key: string) => string
  gcm: GcmFloor
}

let rd: RedisState | undefined
let rdNext = 0
function nextRd(): number {
  rdNext = (rdNext + 1) & MASK
  return rdNext
}

/** Deletes every key under `prefix:` (SCAN + UNLINK). */
async function deletePrefix(client: RedisClient, prefix: string): Promise<number> {
  let deleted = 0
  let cursor = '0'
  do {
    const reply = (await client.sendCommand([
      'SCAN',
      cursor,
      'MATCH',
      `${prefix}:*`,
      'COUNT',
      '1000',
    ])) as [string, string[]]
    cursor = String(reply[0])
    if (reply[1].length > 0) {
      deleted += Number(await client.sendCommand(['UNLINK', ...reply[1]]))
    }
  } while (cursor !== '0')
  return deleted
}

async function redisSetup(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const client = newRedisClient(url)
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
  } catch {
    client.destroy()
    throw new SkipGroup(`redis is not reachable at REDIS_URL`)
  }
  // Unique per run, within the store's prefix alphabet.
  const prefix = `csbench-${process.pid}-${randomBytes(4).toString('hex')}`
  let store: Store | undefined
  try {
    store = await createRedisStore({ url, prefix })
    const tokens = createParameterTokens({ store })
    const { tokens: pool, keys } = await issuePool(tokens, IN_FLIGHT)
    const redisKey = (k: string): string => `${prefix}:{k:${k}}`
    const redisKeys = keys.map(redisKey)
    for (let i = 0; i < POOL; i++) {
      const value = await client.get(redisKeys[i]!)
      if (typeof value !== 'string' || (await store.get(keys[i]!)) !== value) {
        throw new Error('raw GET and the store disagree on a token record')
      }
    }
    await checkPool(tokens, pool)
    const values = new Map<string, string>()
    for (const key of keys) {
      values.set(key, (await client.get(redisKey(key))) as string)
    }
    checkRawOpen(pool, (key) => values.get(key) as string)
    rd = { prefix, client, store, tokens, pool, keys, redisKeys, redisKey, gcm: makeGcmFloor() }
  } catch (error) {
    await store?.close()
    await deletePrefix(client, prefix).catch(() => 0)
    client.destroy()
    throw error
  }
}

async function redisTeardown(): Promise<void> {
  const state = rd
  rd = undefined
  if (state === undefined) {
    return
  }
  try {
    await state.store.close()
    await deletePrefix(state.client, state.prefix)
    const left = await deletePrefix(state.client, state.prefix)
    if (left !== 0) {
      throw new Error(`${left} bench keys were left under ${state.prefix}:`)
    }
  } finally {
    await state.client.close().catch(() => state.client.destroy())
  }
}

// --- 3. User-token JWT verify -------------------------------------------------------------------

const ISSUER = 'https://tokens.example'
const AUDIENCE = 'action-package-1'

interface JwtState {
  token: string
  data: Uint8Array
  signature: Uint8Array
  nodeKey: KeyObject
  joseKey: CryptoKey | Uint8Array
  jwks: Jwks
  ring: KeyRing
  /** A memory-store jti denylist holding 1024 revoked ids, none of them this token's. */
  denylist: Store
}

let jw: JwtState | undefined

async function jwtSetup(): Promise<void> {
  const keys = createSigningKeys()
  const denylist = createMemoryStore()
  const issuer = createUserTokens({ issuer: ISSUER, keys, store: denylist })
  const { token } = await issuer.issueUserToken({
    user: { id: 'user-123', name: 'Ada Lovelace', phoneNumber: '+15555550100' },
    audience: AUDIENCE,
    scope: 'actions:read',
  })
  // What a verifier gets: the issuer's public JWKS, nothing else.
  const jwks = await issuer.jwks()
  const [h, p, s] = token.split('.') as [string, string, string]
  const kid = (JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { kid: string }).kid
  const jwk = jwks.keys.find((k) => k.kid === kid)
  if (jwk === undefined) {
    throw new Error('the token kid is not in the issuer JWKS')
  }
  const ring = createKeyRing(await Promise.all(jwks.keys.map((k) => importKey(k))))
  const state: JwtState = {
    token,
    data: new TextEncoder().encode(`${h}.${p}`),
    signature: fromBase64Url(s),
    nodeKey: createPublicKey({
      key: jwk as unknown as import('node:crypto').JsonWebKey,
      format: 'jwk',
    }),
    joseKey: await jose.importJWK(jwk as jose.JWK, 'EdDSA'),
    jwks,
    ring,
    denylist,
  }
  // A denylist with entries in it, and one revoked token it must refuse.
  const revokedToken = (
    await issuer.issueUserToken({ user: { id: 'user-456' }, audience: AUDIENCE })
  ).token
  for (let i = 0; i < POOL; i++) {
    await issuer.revoke(
      (await issuer.issueUserToken({ user: { id: `u${i}` }, audience: AUDIENCE })).token,
    )
  }
  await issuer.revoke(revokedToken)
  const denied = await verifyUserToken(revokedToken, {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: ring,
    denylist: state.denylist,
  }).then(
    () => 'verified',
    (error: { code?: string }) => error.code,
  )
  if (denied !== 'token_revoked') {
    throw new Error(`JWT verify: a revoked token was not refused (${String(denied)})`)
  }

  // Every implementation accepts the token and reads the same subject...
  const raw = nodeVerify(null, state.data, state.nodeKey, state.signature)
  const viaRing = await verifyUserToken(token, { issuer: ISSUER, audience: AUDIENCE, keys: ring })
  const viaJwks = await verifyUserToken(token, { issuer: ISSUER, audience: AUDIENCE, jwks })
  const viaJose = await jose.jwtVerify(token, state.joseKey, {
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: 'at+jwt',
  })
  if (
    raw !== true ||
    viaRing.user.id !== 'user-123' ||
    viaJwks.user.id !== 'user-123' ||
    viaJose.payload.sub !== 'user-123'
  ) {
    throw new Error('JWT verify: implementations disagree, refusing to benchmark')
  }
  // ...and refuses it with one signature bit flipped.
  const bad = state.signature.slice()
  bad[0] = bad[0]! ^ 1
  const badToken = `${h}.${p}.${Buffer.from(bad).toString('base64url')}`
  const refused = await Promise.all([
    Promise.resolve(!nodeVerify(null, state.data, state.nodeKey, bad)),
    verifyUserToken(badToken, { issuer: ISSUER, audience: AUDIENCE, keys: ring }).then(
      () => false,
      () => true,
    ),
    verifyUserToken(badToken, { issuer: ISSUER, audience: AUDIENCE, jwks }).then(
      () => false,
      () => true,
    ),
    jose.jwtVerify(badToken, state.joseKey, { issuer: ISSUER, audience: AUDIENCE }).then(
      () => false,
      () => true,
    ),
  ])
  if (!refused.every(Boolean)) {
    throw new Error(`JWT verify: a tampered token was accepted (${refused.join(',')})`)
  }
  jw = state
}

// --- Groups -------------------------------------------------------------------------------------

export const groups: Group[] = [
  {
    name: 'tokens/parameter verify (sqlite)',
    setup: sqliteSetup,
    teardown: sqliteTeardown,
    baseline: {
      name: 'node:sqlite SELECT by key',
      fn: () => {
        const s = need(sq, 'sqlite')
        return s.select.get(s.keys[nextSq()]!)
      },
    },
    peers: [
      {
        name: 'parameterTokens.verify',
        fn: () => {
          const s = need(sq, 'sqlite')
          return s.tokens.verify(s.pool[nextSq()]!)
        },
        target: { ratio: 0.7, of: 'node:sqlite SELECT by key' },
        note: `${POOL} tokens; checksum, SHA-512 (id and key), store get, AES-256-GCM unseal, JSON`,
      },
      {
        name: 'parameterTokens.verify (vs floor)',
        fn: () => {
          const s = need(sq, 'sqlite')
          return s.tokens.verify(s.pool[nextSq()]!)
        },
        target: { ratio: 0.8, of: 'SELECT + one AES-GCM open' },
        note: 'the same case again, carrying the target against the encrypted-at-rest floor (issue #21)',
      },
      {
        name: 'sqliteStore.get',
        fn: () => {
          const s = need(sq, 'sqlite')
          return s.store.get(s.keys[nextSq()]!)
        },
        note: 'the store read alone (same keys), to split the gap into store and token work',
      },
      {
        name: 'hand-written, same format',
        fn: () => {
          const s = need(sq, 'sqlite')
          const { key, recordKey } = placeV2(s.pool[nextSq()]!)
          return rawOpen(recordKey, key, (s.select.get(key) as { value: string }).value)
        },
        note: 'SHA-512, the SELECT, AES-256-GCM open and JSON by hand: the limit for records kept encrypted as this format (v2) keeps them',
      },
      {
        name: 'SELECT + one AES-GCM open',
        fn: () => {
          const s = need(sq, 'sqlite')
          s.select.get(s.keys[nextSq()]!)
          return openGcm(s.gcm.key, s.gcm.iv, s.gcm.sealed, s.gcm.aad)
        },
        note: 'the SELECT plus one AES-256-GCM open on a cached key, nothing else: any design that keeps the parameters encrypted at rest pays at least this',
      },
    ],
  },
  {
    name: `tokens/parameter verify (redis, ${IN_FLIGHT} in flight)`,
    setup: redisSetup,
    teardown: redisTeardown,
    baseline: {
      name: 'node-redis GET',
      fn: () => {
        const s = need(rd, 'redis')
        return s.client.get(s.redisKeys[nextRd()]!)
      },
      concurrency: IN_FLIGHT,
    },
    peers: [
      {
        name: 'parameterTokens.verify',
        fn: () => {
          const s = need(rd, 'redis')
          return s.tokens.verify(s.pool[nextRd()]!)
        },
        concurrency: IN_FLIGHT,
        target: { ratio: 0.8, of: 'node-redis GET' },
        note: 'createRedisStore on its own client; the GET runs on a dedicated one',
      },
      {
        name: 'parameterTokens.verify (vs floor)',
        fn: () => {
          const s = need(rd, 'redis')
          return s.tokens.verify(s.pool[nextRd()]!)
        },
        concurrency: IN_FLIGHT,
        target: { ratio: 0.8, of: 'GET + one AES-GCM open' },
        note: 'the same case again, carrying the target against the encrypted-at-rest floor (issue #21)',
      },
      {
        name: 'redisStore.get',
        fn: () => {
          const s = need(rd, 'redis')
          return s.store.get(s.keys[nextRd()]!)
        },
        concurrency: IN_FLIGHT,
        note: 'the store read alone (same keys), to split the gap into store and token work',
      },
      {
        name: 'hand-written, same format',
        fn: async () => {
          const s = need(rd, 'redis')
          const { key, recordKey } = placeV2(s.pool[nextRd()]!)
          return rawOpen(recordKey, key, (await s.client.get(s.redisKey(key))) as string)
        },
        concurrency: IN_FLIGHT,
        note: 'SHA-512, the GET, AES-256-GCM open and JSON by hand (format v2), on the dedicated client',
      },
      {
        name: 'GET + one AES-GCM open',
        fn: async () => {
          const s = need(rd, 'redis')
          await s.client.get(s.redisKeys[nextRd()]!)
          return openGcm(s.gcm.key, s.gcm.iv, s.gcm.sealed, s.gcm.aad)
        },
        concurrency: IN_FLIGHT,
        note: 'the GET plus one AES-256-GCM open on a cached key: the least encryption at rest adds',
      },
    ],
  },
  {
    name: 'tokens/user-token JWT verify',
    setup: jwtSetup,
    teardown: () => {
      jw = undefined
    },
    compareTo: 'jose jwtVerify',
    baseline: {
      name: 'node:crypto verify',
      fn: () => {
        const s = need(jw, 'jwt')
        return nodeVerify(null, s.data, s.nodeKey, s.signature)
      },
    },
    peers: [
      {
        name: 'verifyUserToken (key ring)',
        fn: () => {
          const s = need(jw, 'jwt')
          return verifyUserToken(s.token, { issuer: ISSUER, audience: AUDIENCE, keys: s.ring })
        },
        target: { ratio: 0.8, of: 'node:crypto verify' },
        note: 'key ring imported from the issuer JWKS; no denylist',
      },
      {
        name: 'verifyUserToken (key ring, denylist)',
        fn: () => {
          const s = need(jw, 'jwt')
          return verifyUserToken(s.token, {
            issuer: ISSUER,
            audience: AUDIENCE,
            keys: s.ring,
            denylist: s.denylist,
          })
        },
        target: { ratio: 0.8, of: 'node:crypto verify' },
        note: `the same, plus the jti denylist on a memory store holding ${POOL + 1} revoked ids`,
      },
      {
        name: 'verifyUserToken (jwks)',
        fn: () => {
          const s = need(jw, 'jwt')
          return verifyUserToken(s.token, { issuer: ISSUER, audience: AUDIENCE, jwks: s.jwks })
        },
        target: { ratio: 0.8, of: 'node:crypto verify' },
        note: 'the JWKS object passed as `jwks` (imported once, cached per object)',
      },
      {
        name: 'jose jwtVerify',
        fn: () => {
          const s = need(jw, 'jwt')
          return jose.jwtVerify(s.token, s.joseKey, {
            issuer: ISSUER,
            audience: AUDIENCE,
            typ: 'at+jwt',
          })
        },
      },
    ],
  },
]
