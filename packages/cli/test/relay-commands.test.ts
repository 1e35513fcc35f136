import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadRelayConfig } from '@countersign/relay/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIo } from '../src/io.ts'
import { runCli } from '../src/run-cli.ts'
import { inProcess } from './helpers.ts'
import { writeRelayConfig } from './relay-fixture.ts'

let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-cli-relay-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('countersign relay check | keygen | serve', () => {
  it('check prints ok for a valid config', async () => {
    const path = await writeRelayConfig(dir, 'ok.json')
    const result = await inProcess(['relay', 'check', '--config', path])
    expect(result).toEqual({ code: 0, stdout: `${path}: ok (1 targets)\n`, stderr: '' })
  })

  it('keygen prints a key entry that a config accepts', async () => {
    const result = await inProcess(['relay', 'keygen', '--kid', 'relay-new'])
    expect(result.code).toBe(0)
    const entry = JSON.parse(result.stdout) as { keyId: string; privateJwk: JsonWebKey }
    expect(entry.keyId).toBe('relay-new')
    expect(Object.keys(entry.privateJwk).sort()).toEqual(['crv', 'd', 'kty', 'x'])
    const path = join(dir, 'keygen.json')
    const base = JSON.parse(
      await import('node:fs/promises').then((fs) =>
        writeRelayConfig(dir, 'base.json').then((p) => fs.readFile(p, 'utf8')),
      ),
    ) as Record<string, unknown>
    await writeFile(path, JSON.stringify({ ...base, keys: [entry] }))
    const loaded = await loadRelayConfig(path)
    await loaded.close()
  })

  it('serve runs the relay until stopped, then exits 0', async () => {
    const path = await writeRelayConfig(dir, 'serve.json')
    let stderr = ''
    const controller = new AbortController()
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { write: (t) => (stderr += String(t)) },
      stdin: [],
      env: {},
      signal: controller.signal,
    }
    const running = runCli(['relay', 'serve', '--config', path, '--port', '0'], io)
    let url: string | undefined
    for (let i = 0; i < 500 && url === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      url = /listening on (\S+)/.exec(stderr)?.[1]
    }
    expect(url, stderr).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const health = await fetch(`${url}/healthz`)
    expect(await health.json()).toEqual({ status: 'ok' })
    const refused = await fetch(`${url}/secure-request`, { method: 'POST', body: '{}' })
    expect(refused.status).toBe(401)
    controller.abort()
    expect(await running).toBe(0)
  }, 30_000)
})
