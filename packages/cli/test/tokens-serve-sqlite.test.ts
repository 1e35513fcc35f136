import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCreateKey, postJson, startCli } from './helpers.ts'

let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-tokens-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('countersign tokens serve (SQLite)', () => {
  it('survives SIGKILL, keeps tokens and keys, and stores no token in the file', async () => {
    const db = join(dir, 'tokens.db')
    const first = await startCli(['--db', db, '--issuer', 'https://tokens.test'])
    let second: Awaited<ReturnType<typeof startCli>> | undefined
    try {
      expect(first.adminKey).toMatch(/^cs_ak_/)
      const admin = first.adminKey as string
      const generator = await adminCreateKey(first.url, admin, ['tokens:generate'])
      const issuer = await adminCreateKey(first.url, admin, ['user-tokens:issue'])

      const params = {
        auth: 'apiKey',
        file: 'plans/secret-plan.dwg',
        password: 'hunter2-unique-marker',
      }
      const generated = await postJson(`${first.url}/generate`, params, { 'x-api-key': generator })
      expect(generated.status).toBe(200)
      const { token } = (await generated.json()) as { token: string }

      const jwtResponse = await postJson(
        `${first.url}/v1/user-tokens`,
        { user: { id: 'u1', name: 'Ada', phoneNumber: '+15555550123' }, audience: 'pkg' },
        { 'x-api-key': issuer },
      )
      const { access_token: jwt } = (await jwtResponse.json()) as { access_token: string }
      const opaqueResponse = await postJson(
        `${first.url}/v1/user-tokens`,
        { user: { id: 'u2' }, audience: 'pkg', format: 'opaque' },
        { 'x-api-key': issuer },
      )
      const { access_token: opaque } = (await opaqueResponse.json()) as { access_token: string }
      const jwks = await (await fetch(`${first.url}/.well-known/jwks.json`)).json()

      await first.kill() // SIGKILL: no graceful shutdown

      second = await startCli(['--db', db, '--issuer', 'https://tokens.test'])
      expect(second.adminKey).toBeUndefined() // the admin key is created once
      const verify = await fetch(`${second.url}/verify`, { headers: { 'x-api-token': token } })
      expect(verify.status).toBe(200)
      expect(await verify.json()).toEqual(params)
      for (const t of [jwt, opaque]) {
        const me = await fetch(`${second.url}/v1/users/me`, { headers: { accessToken: t } })
        expect(me.status).toBe(200)
      }
      // The same signing key is published after the restart.
      expect(await (await fetch(`${second.url}/.well-known/jwks.json`)).json()).toEqual(jwks)
      // The API keys still work.
      expect(
        (await postJson(`${second.url}/generate`, { a: 1 }, { 'x-api-key': generator })).status,
      ).toBe(200)

      await second.stop()
      second = undefined

      // Nothing secret is in the database files (main file, WAL, shared memory).
      const files = (await readdir(dir)).filter(
        (f) => f.startsWith('tokens.db') && !f.endsWith('.key'),
      )
      expect(files).toContain('tokens.db')
      const needles = [
        token,
        jwt,
        opaque,
        admin,
        generator,
        issuer,
        'hunter2-unique-marker',
        '+15555550123',
      ]
      for (const file of files) {
        const bytes = await readFile(join(dir, file))
        const text = bytes.toString('latin1')
        for (const needle of needles) {
          expect(text.includes(needle), `${file} contains a secret`).toBe(false)
        }
        // Not even the random body of a token.
        expect(text.includes(token.slice(6, 49))).toBe(false)
      }
      const keyFile = await stat(`${db}.key`)
      expect(keyFile.mode & 0o777).toBe(0o600)
    } finally {
      await first.kill().catch(() => {})
      await second?.kill().catch(() => {})
    }
  })
})
