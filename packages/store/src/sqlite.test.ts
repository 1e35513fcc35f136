import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { pathToFileURL } from 'node:url'
import { isCountersignError } from '@countersign/core'
import { runStoreContract } from '@countersign/testkit/store-contract.ts'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStore } from './sqlite.ts'

const dir = mkdtempSync(join(tmpdir(), 'countersign-sqlite-'))
let files = 0
const newPath = (name: string) => join(dir, `${name}-${files++}.db`)

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

runStoreContract('sqlite', () => createSqliteStore({ path: newPath('contract') }))

/** Runs `node` on a script; resolves with its stdout once it exits with 0. */
function runNode(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}: ${err}`))
    })
  })
}

/** Writes a child script that imports this package's SQLite store from source. */
function childScript(name: string, body: string): string {
  const file = join(dir, `${name}-${files++}.mjs`)
  const source = pathToFileURL(join(import.meta.dirname, 'sqlite.ts')).href
  writeFileSync(file, `import { createSqliteStore } from ${JSON.stringify(source)}\n${body}\n`)
  return file
}

describe('sqlite store', () => {
  it('keeps data across close and reopen', async () => {
    const path = newPath('reopen')
    const first = createSqliteStore({ path })
    await first.set('kept', 'value')
    await first.set('expiring', 'value', { ttlMs: 60_000 })
    expect(await first.consumeOnce('nonce', 60_000)).toBe(true)
    expect((await first.hit('rate', { limit: 3, windowMs: 600_000 })).remaining).toBe(2)
    await first.close()

    const second = createSqliteStore({ path })
    expect(await second.get('kept')).toBe('value')
    expect(await second.get('expiring')).toBe('value')
    expect(await second.consumeOnce('nonce', 60_000)).toBe(false)
    expect((await second.hit('rate', { limit: 3, windowMs: 600_000 })).remaining).toBe(1)
    expect(await second.list('')).toHaveLength(2)
    await second.close()
  })

  it('uses a WAL journal and its own tables', async () => {
    const path = newPath('pragmas')
    const store = createSqliteStore({ path })
    await store.set('k', 'v')
    const db = new DatabaseSync(path)
    expect(db.prepare('PRAGMA journal_mode').get()?.journal_mode).toBe('wal')
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => row.name)
    expect(tables).toEqual([
      'countersign_counters',
      'countersign_kv',
      'countersign_meta',
      'countersign_once',
    ])
    db.close()
    await store.close()
  })

  it('keeps every committed entry when the writing process is killed with SIGKILL', async () => {
    const path = newPath('crash')
    const script = childScript(
      'crash',
      `const store = createSqliteStore({ path: ${JSON.stringify(path)} })
for (let i = 0; i < 500; i++) {
  await store.set('key:' + i, 'value:' + i)
  await store.consumeOnce('nonce:' + i, 600000)
}
await store.hit('rate', { limit: 10, windowMs: 600000, cost: 4 })
console.log('ready')
// Keep writing so the kill lands in the middle of a write.
for (let i = 0; ; i++) {
  await store.set('extra:' + i, 'x'.repeat(1000))
  if (i % 100 === 0) await new Promise((r) => setImmediate(r))
}`,
    )
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) {
          resolve()
        }
      })
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)))
    })
    const exited = new Promise((resolve) => child.on('exit', (_, signal) => resolve(signal)))
    // Let it write for a moment, then kill it without any chance to clean up.
    await new Promise((resolve) => setTimeout(resolve, 50))
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')

    const check = new DatabaseSync(path)
    expect(check.prepare('PRAGMA integrity_check').get()?.integrity_check).toBe('ok')
    check.close()

    const store = createSqliteStore({ path })
    for (let i = 0; i < 500; i++) {
      expect(await store.get(`key:${i}`)).toBe(`value:${i}`)
      expect(await store.consumeOnce(`nonce:${i}`, 600_000)).toBe(false)
    }
    expect(await store.hit('rate', { limit: 10, windowMs: 600_000, cost: 4 })).toMatchObject({
      allowed: true,
      remaining: 2,
    })
    await store.close()
  })

  it('redeems each token once across several processes sharing the file', async () => {
    const path = newPath('shared')
    // Create the schema first so the children race only on the data.
    await createSqliteStore({ path }).close()
    const script = childScript(
      'racer',
      `const store = createSqliteStore({ path: ${JSON.stringify(path)} })
const wins = []
for (let i = 0; i < 300; i++) {
  if (await store.consumeOnce('token:' + i, 600000)) wins.push(i)
  if (i % 10 === 0) await new Promise((r) => setImmediate(r))
}
const hits = []
for (let i = 0; i < 30; i++) {
  hits.push((await store.hit('shared-limit', { limit: 40, windowMs: 600000 })).allowed)
}
await store.close()
console.log(JSON.stringify({ wins, allowed: hits.filter(Boolean).length }))`,
    )
    const outputs = await Promise.all([runNode(script), runNode(script), runNode(script)])
    const results = outputs.map((out) => JSON.parse(out) as { wins: number[]; allowed: number })
    const wins = results.flatMap((r) => r.wins).sort((a, b) => a - b)
    expect(wins).toEqual(Array.from({ length: 300 }, (_, i) => i))
    expect(results.reduce((sum, r) => sum + r.allowed, 0)).toBe(40)
  })

  it('sweeps expired rows from the file', async () => {
    const path = newPath('sweep')
    let now = 1_000_000
    const store = createSqliteStore({ path, now: () => now, sweepIntervalMs: 20 })
    await store.set('short', 'v', { ttlMs: 1000 })
    await store.set('long', 'v', { ttlMs: 100_000 })
    await store.set('forever', 'v')
    await store.consumeOnce('nonce', 1000)
    await store.hit('rate', { limit: 5, windowMs: 1000 })
    const count = (table: string) => {
      const db = new DatabaseSync(path)
      const n = db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.n
      db.close()
      return n
    }
    expect(count('countersign_kv')).toBe(3)
    now += 5000
    // The sweep runs on its timer; wait for it rather than for a fixed time.
    for (let i = 0; i < 250 && count('countersign_kv') !== 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(count('countersign_kv')).toBe(2)
    expect(count('countersign_once')).toBe(0)
    expect(count('countersign_counters')).toBe(0)
    expect(await store.get('long')).toBe('v')
    await store.close()
  })

  it('follows an injected clock for expiry and windows', async () => {
    let now = 5_000_000
    const store = createSqliteStore({ path: newPath('clock'), now: () => now })
    await store.set('k', 'v', { ttlMs: 1000 })
    expect(await store.consumeOnce('n', 1000)).toBe(true)
    now += 999
    expect(await store.get('k')).toBe('v')
    expect(await store.consumeOnce('n', 1000)).toBe(false)
    now += 1
    expect(await store.get('k')).toBeUndefined()
    expect(await store.consumeOnce('n', 1000)).toBe(true)

    now = 10_000_000 // the start of a window of 1000 ms
    const options = { limit: 10, windowMs: 1000 }
    for (let i = 0; i < 10; i++) {
      await store.hit('w', options)
    }
    expect(await store.hit('w', options)).toMatchObject({
      allowed: false,
      remaining: 0,
      retryAfterMs: 1100, // the next window, plus 10% of it for the weight to drop by one hit
      resetMs: 2000,
    })
    now += 1250 // a quarter into the next window: 10 * 0.75 = 7.5 still count
    expect(await store.hit('w', options)).toMatchObject({ allowed: true, remaining: 1 })
    expect(await store.hit('w', options)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await store.hit('w', options)).toMatchObject({ allowed: false, retryAfterMs: 50 })
    await store.close()
  })

  it('fails with store_unavailable, without keys or values, when the file is locked', async () => {
    const path = newPath('locked')
    const store = createSqliteStore({ path, busyTimeoutMs: 50 })
    const locker = new DatabaseSync(path)
    locker.exec('BEGIN EXCLUSIVE')
    try {
      const error = await store.set('secret-key', 'secret-value').catch((e: unknown) => e)
      expect(isCountersignError(error, 'store_unavailable')).toBe(true)
      expect((error as { retryable: boolean }).retryable).toBe(true)
      const text = `${(error as Error).message} ${((error as Error).cause as Error).message}`
      expect(text).toContain('locked')
      expect(text).not.toMatch(/secret|INSERT|countersign_kv/)
    } finally {
      locker.exec('ROLLBACK')
      locker.close()
    }
    expect(await store.set('secret-key', 'secret-value')).toBe(true)
    await store.close()
  })

  it('fails with store_unavailable when the file cannot be opened', () => {
    let error: unknown
    try {
      createSqliteStore({ path: join(dir, 'missing-dir', 'x.db') })
    } catch (e) {
      error = e
    }
    expect(isCountersignError(error, 'store_unavailable')).toBe(true)
    expect((error as Error).message).not.toContain('missing-dir')
  })

  it('refuses values SQLite could not store exactly, and bad options', async () => {
    const store = createSqliteStore({ path: ':memory:' })
    await expect(store.set('k', 'a\ud800b')).rejects.toBeInstanceOf(TypeError)
    await store.close()
    expect(() => createSqliteStore({ path: '' })).toThrow(TypeError)
    expect(() => createSqliteStore(undefined as never)).toThrow(TypeError)
    expect(() => createSqliteStore({ path: ':memory:', sweepIntervalMs: -1 })).toThrow(RangeError)
    expect(() => createSqliteStore({ path: ':memory:', busyTimeoutMs: 1.5 })).toThrow(RangeError)
  })
})
