import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
const CORE_DIR = fileURLToPath(new URL('../../core', import.meta.url))

let dir = ''
let packed: Record<string, unknown> = {}

/** A consumer with only @countersign/store (as packed) and core installed: no `redis`. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-store-pack-'))
  const out = execFileSync('pnpm', ['pack', '--pack-destination', dir], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
  })
  const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'))
  expect(tarball, out).toBeDefined()
  const target = join(dir, 'node_modules', '@countersign', 'store')
  await mkdir(target, { recursive: true })
  execFileSync('tar', ['-xzf', join(dir, tarball as string), '-C', target, '--strip-components=1'])
  await symlink(CORE_DIR, join(dir, 'node_modules', '@countersign', 'core'), 'dir')
  packed = JSON.parse(await readFile(join(target, 'package.json'), 'utf8'))
}, 120_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function runInConsumer(code: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: dir,
    encoding: 'utf8',
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('@countersign/store as published', () => {
  it('makes redis an optional peer, never a dependency', () => {
    expect(packed.dependencies).not.toHaveProperty('redis')
    expect(packed.peerDependencies).toEqual({ redis: expect.stringMatching(/^\^?\d+\.\d+\.\d+$/) })
    expect(packed.peerDependenciesMeta).toEqual({ redis: { optional: true } })
    expect(packed).toMatchObject({
      keywords: expect.arrayContaining(['sqlite', 'redis']),
      homepage: expect.stringMatching(/^https:\/\//),
      bugs: { url: expect.stringMatching(/^https:\/\//) },
    })
  })

  it('works without redis installed: the bare import and ./sqlite; ./redis names what is missing', () => {
    const sqlite = runInConsumer(`
      const bare = await import('@countersign/store')
      const sub = await import('@countersign/store/sqlite')
      const store = bare.createSqliteStore({ path: ':memory:' })
      await store.set('k', 'v')
      console.log(bare.createSqliteStore === sub.createSqliteStore, await store.get('k'))
      await store.close()
    `)
    expect(sqlite.stderr).toBe('')
    expect(sqlite.stdout.trim()).toBe('true v')
    const redis = runInConsumer(`await import('@countersign/store/redis')`)
    expect(redis.status).not.toBe(0)
    expect(redis.stderr).toMatch(/Cannot find package 'redis'/)
  })

  it('ships source maps that do not embed the sources', async () => {
    const dist = join(dir, 'node_modules', '@countersign', 'store', 'dist')
    const maps = (await readdir(dist)).filter((name) => name.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(0)
    for (const name of maps) {
      const map = JSON.parse(await readFile(join(dist, name), 'utf8')) as Record<string, unknown>
      expect(map, name).not.toHaveProperty('sourcesContent')
    }
  })
})
