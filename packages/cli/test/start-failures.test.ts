import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inProcess, runCli } from './helpers.ts'
import { writeRelayConfig } from './relay-fixture.ts'

let dir = ''
let busy: Server
let busyPort = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-cli-start-'))
  busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  busyPort = (busy.address() as { port: number }).port
})
afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

/** Exit 3 (could not start) with exactly one line on stderr, prefixed with the command. */
function expectStartFailure(
  result: { code: number | null; stderr: string },
  prefix: string,
  reason: RegExp,
) {
  expect(result.code, `killed or wrong code; stderr: ${result.stderr}`).toBe(3)
  const lines = result.stderr.trimEnd().split('\n')
  expect(lines, result.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(new RegExp(`^${prefix}: `))
  expect(lines[0]).toMatch(reason)
}

describe('start-up failures exit 3 with one line, never hang (real processes)', () => {
  it('tokens serve: Redis down at start gives up after --start-timeout', async () => {
    const result = await runCli(
      [
        'tokens',
        'serve',
        '--redis',
        'redis://127.0.0.1:1',
        '--issuer',
        'https://t.test',
        '--start-timeout',
        '2000',
      ],
      { env: { COUNTERSIGN_MASTER_KEY: 'A'.repeat(43) }, killAfterMs: 15_000 },
    )
    expect(result.stdout).toBe('')
    expectStartFailure(
      result,
      'countersign tokens serve',
      /store did not answer within 2000 ms \(--start-timeout\): Redis store unavailable/,
    )
  }, 120_000)

  it('relay serve: a Redis store down at start gives up after --start-timeout', async () => {
    const config = await writeRelayConfig(dir, 'redis-down.json', {
      store: { type: 'redis', url: 'redis://127.0.0.1:1' },
    })
    const result = await runCli(['relay', 'serve', '--config', config, '--start-timeout', '1500'], {
      killAfterMs: 15_000,
    })
    expectStartFailure(
      result,
      'countersign relay serve',
      /relay store did not answer within 1500 ms/,
    )
  }, 120_000)

  it('a port in use', async () => {
    const config = await writeRelayConfig(dir, 'busy.json')
    const key = { COUNTERSIGN_MASTER_KEY: 'A'.repeat(43) }
    const db = join(dir, 'busy.db')
    const port = String(busyPort)
    const tokens = await runCli(
      ['tokens', 'serve', '--db', db, '--port', port, '--issuer', 'https://t.test'],
      { env: key },
    )
    const relay = await runCli(['relay', 'serve', '--config', config, '--port', port])
    expectStartFailure(tokens, 'countersign tokens serve', /127\.0\.0\.1:\d+: the port is in use$/)
    expectStartFailure(relay, 'countersign relay serve', /127\.0\.0\.1:\d+: the port is in use$/)
  }, 120_000)

  it('a bad or unreadable config, on serve and check', async () => {
    const broken = join(dir, 'broken.json')
    await writeFile(broken, '{')
    const invalid = await writeRelayConfig(dir, 'invalid.json', { maxBatchSize: 0, targets: [] })
    const results = [
      await runCli(['relay', 'serve', '--config', broken]),
      await runCli(['relay', 'check', '--config', broken]),
      await runCli(['relay', 'serve', '--config', invalid]),
      await runCli(['relay', 'check', '--config', join(dir, 'missing.json')]),
    ]
    expectStartFailure(results[0]!, 'countersign relay serve', /broken\.json: .*not valid JSON/)
    expectStartFailure(results[1]!, 'countersign relay check', /broken\.json: .*not valid JSON/)
    expectStartFailure(
      results[2]!,
      'countersign relay serve',
      /targets: must list at least one target; maxBatchSize: must be/,
    )
    expectStartFailure(results[3]!, 'countersign relay check', /missing\.json/)
  }, 120_000)

  it('an unreadable or malformed master key, a key file for sign that is missing or not a key', async () => {
    const keyDir = join(dir, 'key-is-a-dir')
    await mkdir(keyDir)
    const badKey = join(dir, 'bad.key')
    await writeFile(badKey, 'not-a-key\n')
    const notAKey = join(dir, 'not-a-key.json')
    await writeFile(notAKey, '{"kty":"EC","crv":"P-256"}')
    const db = join(dir, 'k.db')
    const common = ['tokens', 'serve', '--db', db, '--port', '0', '--issuer', 'https://t.test']
    const results = [
      await runCli([...common, '--master-key-file', keyDir]),
      await runCli([...common, '--master-key-file', badKey]),
      await runCli(common, { env: { COUNTERSIGN_MASTER_KEY: 'short' } }),
      await inProcess(['sign', '--key', join(dir, 'nope.json'), 'https://api.test/']),
      await inProcess(['sign', '--key', notAKey, 'https://api.test/']),
      await inProcess(['verify', '--key', badKey]),
    ]
    expectStartFailure(
      results[0]!,
      'countersign tokens serve',
      /cannot read master key file .*EISDIR/,
    )
    expectStartFailure(
      results[1]!,
      'countersign tokens serve',
      /bad\.key is not base64url of 32 bytes/,
    )
    expectStartFailure(
      results[2]!,
      'countersign tokens serve',
      /COUNTERSIGN_MASTER_KEY is not base64url/,
    )
    expectStartFailure(
      results[3]!,
      'countersign sign',
      /cannot read key file .*nope\.json: no such file/,
    )
    expectStartFailure(results[4]!, 'countersign sign', /cannot use the key in .*not-a-key\.json/)
    expectStartFailure(results[5]!, 'countersign verify', /holds neither a JWK, a JWKS nor a PEM/)
    for (const result of results) {
      expect(result.stderr).not.toContain('not-a-key\n')
      expect(result.stderr).not.toMatch(/\n\s+at /)
    }
  }, 120_000)

  it('the issuer is required where a default one would not be stable', async () => {
    const cases: [string[], RegExp][] = [
      [['--port', '0'], /with --port 0/],
      [['--port', String(busyPort), '--redis', 'redis://127.0.0.1:1'], /sharing a Redis store/],
      [['--port', String(busyPort), '--host', '0.0.0.0'], /--host 0\.0\.0\.0 is not an address/],
      [['--port', '0', '--issuer', 'tokens.test'], /--issuer must be an absolute URL/],
      [['--port', '0', '--issuer', 'ftp://tokens.test'], /--issuer must be an http\(s\) URL/],
      [['--port', '0', '--issuer', 'https://u:p@tokens.test'], /without credentials/],
    ]
    for (const [args, pattern] of cases) {
      const result = await inProcess(['tokens', 'serve', ...args])
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr.split('\n')[0], args.join(' ')).toMatch(/^countersign tokens serve: /)
      expect(result.stderr, args.join(' ')).toMatch(pattern)
    }
  })
})
