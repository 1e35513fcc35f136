import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteAuditStore } from '../src/sqlite/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'cs-audit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('createSqliteAuditStore', () => {
  it('keeps events across a reopen of the file', async () => {
    const path = join(dir, 'durable.db')
    const first = createSqliteAuditStore({ path })
    await first.append({
      type: 'admin',
      action: 'api_key.create',
      actor: 'ak_a',
      keyId: 'ak_b',
      status: 201,
    })
    await first.close()
    const second = createSqliteAuditStore({ path })
    expect(await second.query({})).toEqual([
      expect.objectContaining({
        id: 1,
        type: 'admin',
        action: 'api_key.create',
        actor: 'ak_a',
        keyId: 'ak_b',
        status: 201,
      }),
    ])
    await second.close()
  })

  it('filters by time, user, key, target, status, code and type, newest first, and pages by id', async () => {
    const t0 = Date.now()
    const audit = createSqliteAuditStore({ path: join(dir, 'filters.db') })
    for (let i = 0; i < 30; i++) {
      await audit.append({
        time: t0 + i,
        type: i % 2 === 0 ? 'verification' : 'issuance',
        action: 'POST /generate',
        user: `u${i % 3}`,
        keyId: `ak_${i % 5}`,
        target: i % 2 === 0 ? 'https://api.example/' : 'https://other.example/',
        status: i % 4 === 0 ? 403 : 200,
        ...(i % 4 === 0 ? { code: 'forbidden' } : {}),
      })
    }
    const all = await audit.query({ limit: 100 })
    expect(all.map((e) => e.id)).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i))
    expect((await audit.query({ from: t0 + 10, to: t0 + 12 })).map((e) => e.time)).toEqual([
      t0 + 11,
      t0 + 10,
    ])
    expect((await audit.query({ user: 'u1' })).every((e) => e.user === 'u1')).toBe(true)
    expect((await audit.query({ key: 'ak_2' })).length).toBe(6)
    expect((await audit.query({ status: 403, code: 'forbidden' })).length).toBe(8)
    expect((await audit.query({ type: 'issuance', target: 'https://other.example/' })).length).toBe(
      15,
    )
    const page1 = await audit.query({ limit: 10 })
    const page2 = await audit.query({ limit: 10, before: page1.at(-1)?.id as number })
    expect(page2.map((e) => e.id)).toEqual([20, 19, 18, 17, 16, 15, 14, 13, 12, 11])
    // Filter values are bound parameters, never SQL.
    expect(await audit.query({ user: "u1' OR '1'='1" })).toEqual([])
    await audit.close()
  })

  it('deletes events older than the retention as new ones arrive', async () => {
    let now = 10_000_000
    const audit = createSqliteAuditStore({
      path: join(dir, 'retention.db'),
      retentionMs: 60_000,
      now: () => now,
    })
    await audit.append({ type: 'admin', action: 'old', status: 200 })
    now += 120_000
    await audit.append({ type: 'admin', action: 'new', status: 200 })
    expect((await audit.query({})).map((e) => e.action)).toEqual(['new'])
    await audit.close()
  })
})
