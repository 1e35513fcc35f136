import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCreateKey, postJson, startCli } from './helpers.ts'

let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-console-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('countersign tokens serve --console', () => {
  it('is off by default: /console is the token service 404', async () => {
    const cli = await startCli(['--db', join(dir, 'off.db'), '--issuer', 'https://tokens.test'])
    try {
      const page = await fetch(`${cli.url}/console/`)
      expect(page.status).toBe(404)
      expect(page.headers.get('content-security-policy')).toBeNull()
      expect(existsSync(join(dir, 'off.db.audit.db'))).toBe(false)
    } finally {
      await cli.stop()
    }
  })

  it('mounts the console at /console, audits service calls, and keeps the service routes', async () => {
    const db = join(dir, 'on.db')
    const cli = await startCli(['--db', db, '--issuer', 'https://tokens.test', '--console'])
    try {
      const page = await fetch(`${cli.url}/console/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      const admin = cli.adminKey as string
      const generator = await adminCreateKey(cli.url, admin, ['tokens:generate'])
      expect(
        (await postJson(`${cli.url}/generate`, { a: 1 }, { 'x-api-key': generator })).status,
      ).toBe(200)
      expect((await fetch(`${cli.url}/.well-known/jwks.json`)).status).toBe(200)

      const signIn = await postJson(
        `${cli.url}/console/api/session`,
        { key: admin },
        { origin: cli.url },
      )
      expect(signIn.status).toBe(200)
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string
      const audit = await fetch(`${cli.url}/console/api/audit?type=issuance`, {
        headers: { cookie },
      })
      const { events } = (await audit.json()) as {
        events: Array<{ action: string; status: number }>
      }
      expect(events).toEqual([expect.objectContaining({ action: 'POST /generate', status: 200 })])
      expect(existsSync(`${db}.audit.db`)).toBe(true)
      await expect.poll(() => cli.stdout).toContain(`console on ${cli.url}/console/`)
    } finally {
      await cli.stop()
    }
  })

  it('refuses audit options without --console', async () => {
    await expect(
      startCli(['--db', join(dir, 'x.db'), '--audit-db', join(dir, 'a.db')]),
    ).rejects.toThrow(/need --console/)
  })
})
