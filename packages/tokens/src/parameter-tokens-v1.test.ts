import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { createSqliteStore } from '@countersign/store/sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fixture from '../test/fixtures/parameter-tokens-v1.json' with { type: 'json' }
import { createParameterTokens } from './parameter-tokens.ts'

// parameter-tokens-v1.db holds records written by the parameter-token code before format v2
// (commit 0d47a27; test/fixtures/make-parameter-tokens-v1.ts). Each test works on a copy.
const FIXTURE = new URL('../test/fixtures/parameter-tokens-v1.db', import.meta.url).pathname

const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> => {
  try {
    await promise
    return undefined
  } catch (error) {
    return (error as { code?: string }).code
  }
}

let dir = ''
let path = ''
let now = fixture.now
const opened: { close(): unknown }[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-pt-v1-'))
  path = join(dir, 'tokens.db')
  await copyFile(FIXTURE, path)
  now = fixture.now
})
afterEach(async () => {
  for (const store of opened.splice(0)) {
    await store.close()
  }
  await rm(dir, { recursive: true, force: true })
})

function open() {
  const clock = () => now
  const store = createSqliteStore({ path, sweepIntervalMs: 0, now: clock })
  opened.push(store as { close(): unknown })
  return { store, tokens: createParameterTokens({ store, now: clock, maxTtl: '30d' }) }
}

describe('parameter tokens written in format v1', () => {
  it('the fixture holds v1 records only', () => {
    const db = new DatabaseSync(FIXTURE, { readOnly: true })
    const rows = db.prepare('SELECT key, value FROM countersign_kv').all() as {
      key: string
      value: string
    }[]
    db.close()
    expect(rows).toHaveLength(4)
    for (const row of rows) {
      expect(row.key).toMatch(/^cs:pt:[A-Za-z0-9_-]{43}$/)
      expect(JSON.parse(row.value).v).toBe(1)
    }
  })

  it('verify, inspect and redeem them as before', async () => {
    const { tokens } = open()
    expect(await tokens.verify(fixture.multi.token)).toEqual(fixture.multi.params)
    expect(await tokens.verify(fixture.multi.token)).toEqual(fixture.multi.params)
    expect(await tokens.verify(fixture.client.token)).toEqual(fixture.client.params)
    expect(await tokens.inspect(fixture.client.token)).toMatchObject({
      clientId: 'ak_1',
      singleUse: false,
    })
    expect((await tokens.inspect(fixture.single.token)).singleUse).toBe(true)
    expect(await tokens.verify(fixture.single.token)).toEqual(fixture.single.params)
    expect(await codeOf(tokens.verify(fixture.single.token))).toBe('token_revoked')
    expect(await tokens.redeem(fixture.multi.token)).toEqual(fixture.multi.params)
    expect(await codeOf(tokens.redeem(fixture.multi.token))).toBe('token_revoked')
  })

  it('answer token_revoked for a v1 revoked record, and revoke v1 records', async () => {
    const { tokens } = open()
    expect(await codeOf(tokens.verify(fixture.revoked.token))).toBe('token_revoked')
    expect(await tokens.revoke(fixture.client.token, { clientId: 'ak_2' })).toBe(false)
    expect(await tokens.verify(fixture.client.token)).toEqual(fixture.client.params)
    expect(await tokens.revoke(fixture.client.token, { clientId: 'ak_1' })).toBe(true)
    expect(await codeOf(tokens.verify(fixture.client.token))).toBe('token_revoked')
  })

  it('expire on the v1 record time', async () => {
    const { tokens } = open()
    now = fixture.now + 30 * 24 * 3600 * 1000
    expect(await codeOf(tokens.verify(fixture.multi.token))).toBe('token_expired')
  })

  it('refuse a v1 record whose seal was tampered with', async () => {
    const db = new DatabaseSync(path)
    const row = db
      .prepare('SELECT key, value FROM countersign_kv WHERE value LIKE \'%"su":1%\'')
      .get() as { key: string; value: string }
    const record = JSON.parse(row.value)
    const d = record.d as string
    record.d = d.slice(0, -2) + (d.at(-2) === 'A' ? 'B' : 'A') + d.slice(-1)
    db.prepare('UPDATE countersign_kv SET value = ? WHERE key = ?').run(
      JSON.stringify(record),
      row.key,
    )
    db.close()
    const { tokens } = open()
    expect(await codeOf(tokens.verify(fixture.single.token))).toBe('token_invalid')
  })

  it('sit beside new v2 records in one store', async () => {
    const { store, tokens } = open()
    const { token } = await tokens.issue({ fresh: 1 })
    expect(await tokens.verify(token)).toEqual({ fresh: 1 })
    expect(await tokens.verify(fixture.multi.token)).toEqual(fixture.multi.params)
    const keys = (await store.list('')).map((e) => e.key)
    expect(keys.filter((k) => k.startsWith('cs:pt2:'))).toHaveLength(1)
  })
})
