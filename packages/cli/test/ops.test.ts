import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore } from '@countersign/core'
import { createSigningKeys, createUserTokens } from '@countersign/tokens'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, freePort, inProcess, runCli, startCli, startRedisServer } from './helpers.ts'
import { writeRelayConfig } from './relay-fixture.ts'

const masterKey = randomBytes(32).toString('base64url')
const METRICS_TOKEN = randomBytes(16).toString('hex')
let dir = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-ops-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A test-owned redis-server on a random loopback port, without persistence. */
const startRedis = (port: number): Promise<ChildProcess> => startRedisServer(port)

async function stopRedis(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  proc.kill('SIGTERM')
  await exited
}

function logLines(stderr: string[]): Array<Record<string, unknown>> {
  return stderr.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>]
    } catch {
      return []
    }
  })
}

describe('countersign tokens serve: operations', () => {
  it('/readyz answers 503 naming the store while its Redis is stopped, and 200 once it is back', async () => {
    const port = await freePort()
    let redis = await startRedis(port)
    const cli = await startCli(
      ['--redis', `redis://127.0.0.1:${port}`, '--issuer', 'https://tokens.test'],
      { COUNTERSIGN_MASTER_KEY: masterKey },
    )
    try {
      const ready = await fetch(`${cli.url}/readyz`)
      expect(ready.status).toBe(200)
      expect(await ready.json()).toEqual({
        status: 'ok',
        checks: { store: 'ok', signing_key: 'ok' },
      })
      await stopRedis(redis)
      const down = await fetch(`${cli.url}/readyz`)
      expect(down.status).toBe(503)
      expect(((await down.json()) as { checks: Record<string, string> }).checks.store).toBe(
        'failed',
      )
      expect((await fetch(`${cli.url}/healthz`)).status).toBe(200)
      redis = await startRedis(port)
      await expect
        .poll(async () => (await fetch(`${cli.url}/readyz`)).status, {
          timeout: 15_000,
          interval: 250,
        })
        .toBe(200)
    } finally {
      await cli.stop()
      await stopRedis(redis)
    }
  }, 40_000)

  it('/metrics behind the token counts a known sequence of requests exactly', async () => {
    const cli = await startCli(
      [
        '--db',
        join(dir, 'metrics.db'),
        '--issuer',
        'https://tokens.test',
        '--problem-base',
        'https://docs.example/cs/errors',
      ],
      {
        COUNTERSIGN_MASTER_KEY: masterKey,
        COUNTERSIGN_METRICS_TOKEN: METRICS_TOKEN,
      },
    )
    try {
      for (let i = 0; i < 3; i++) {
        await (await fetch(`${cli.url}/.well-known/jwks.json`)).text()
      }
      for (let i = 0; i < 2; i++) {
        await (await fetch(`${cli.url}/generate`, { method: 'POST', body: '{}' })).text()
      }
      const refused = await fetch(`${cli.url}/metrics`)
      expect(refused.status).toBe(401)
      // --problem-base sets the type URI of every problem.
      expect(((await refused.json()) as { type: string }).type).toBe(
        'https://docs.example/cs/errors/token_missing',
      )
      const scrape = await fetch(`${cli.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
      const lines = (await scrape.text())
        .split('\n')
        .filter((line) => line.startsWith('countersign_http_requests_total{'))
        .sort()
      expect(lines).toEqual([
        'countersign_http_requests_total{route="GET /.well-known/jwks.json",method="GET",status="200",code=""} 3',
        'countersign_http_requests_total{route="GET /metrics",method="GET",status="401",code="token_missing"} 1',
        'countersign_http_requests_total{route="POST /generate",method="POST",status="403",code="api_key_invalid"} 2',
      ])
      const logged = logLines(cli.stderr).filter((line) => line.msg === 'request')
      expect(logged).toHaveLength(6)
      for (const line of logged) {
        expect(line).toMatchObject({ level: 'info', service: 'tokens' })
        expect(typeof line.time).toBe('string')
        expect(typeof line.requestId).toBe('string')
      }
      expect(cli.stderr.join('\n')).not.toContain(METRICS_TOKEN)
    } finally {
      await cli.stop()
    }
  }, 30_000)

  it('SIGTERM with a request in flight answers it, logs the shutdown and exits 0', async () => {
    const cli = await startCli(['--db', join(dir, 'drain.db'), '--issuer', 'https://tokens.test'], {
      COUNTERSIGN_MASTER_KEY: masterKey,
    })
    const { port } = new URL(cli.url)
    const socket = connect(Number(port), '127.0.0.1')
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()))
    const body = '{"a":1}'
    // The head and half the body: the request is in flight when SIGTERM arrives.
    socket.write(
      `POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 3)}`,
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    const exit = new Promise<number | null>((resolve) =>
      cli.proc.once('exit', (code) => resolve(code)),
    )
    cli.proc.kill('SIGTERM')
    await expect
      .poll(() => logLines(cli.stderr).some((l) => l.msg === 'shutdown started'))
      .toBe(true)
    socket.end(body.slice(3))
    await closed
    expect(Buffer.concat(received).toString()).toMatch(/^HTTP\/1\.1 403 /)
    expect(await exit).toBe(0)
    const messages = logLines(cli.stderr).map((line) => line.msg)
    expect(messages.indexOf('shutdown started')).toBeLessThan(messages.indexOf('shutdown complete'))
  }, 30_000)
})

/** Starts `countersign relay serve` as a child process and waits for its "listening on" line. */
async function startRelay(args: string[], env: Record<string, string> = {}) {
  const proc = spawn(process.execPath, [CLI, 'relay', 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  const stderr: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`relay did not start: ${stderr.join('\n')}`)),
      20_000,
    )
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(...chunk.toString().split('\n').filter(Boolean))
      const found = stderr.map((line) => /listening on (\S+)$/.exec(line)?.[1]).find(Boolean)
      if (found !== undefined) {
        clearTimeout(timer)
        resolve(found)
      }
    })
    proc.once('exit', (code) =>
      reject(new Error(`relay exited with ${code}: ${stderr.join('\n')}`)),
    )
  })
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  return { proc, url, stderr, exit }
}

describe('countersign relay serve: operations', () => {
  it('/metrics counts token-cache hits: none for the first check of a token, one per reuse', async () => {
    const signingKeys = createSigningKeys()
    const users = createUserTokens({
      issuer: 'https://tokens.test',
      keys: signingKeys,
      store: createMemoryStore(),
    })
    const { token } = await users.issueUserToken({ user: { id: 'u-1' }, audience: 'app' })
    const config = await writeRelayConfig(dir, 'ops-cache.json', {
      auth: {
        type: 'countersign',
        issuer: 'https://tokens.test',
        audience: 'app',
        jwks: await signingKeys.jwks(),
      },
      // Port 9 refuses: 502 means the user was accepted and the request forwarded.
      targets: [
        {
          id: 'api',
          baseUrl: 'http://127.0.0.1:9/api',
          allowHttp: true,
          allowPrivateNetwork: true,
        },
      ],
    })
    const relay = await startRelay(['--config', config], {
      COUNTERSIGN_METRICS_TOKEN: METRICS_TOKEN,
    })
    const hits = async () => {
      const scrape = await fetch(`${relay.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
      const line = (await scrape.text())
        .split('\n')
        .find((l) => l.startsWith('countersign_token_cache_hits_total '))
      return line === undefined ? undefined : Number(line.split(' ')[1])
    }
    try {
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${relay.url}/secure-request`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ url: 'http://127.0.0.1:9/api/x', data: {} }),
        })
        statuses.push(response.status)
        await response.text()
        if (i === 0) {
          expect(await hits()).toBe(0)
        }
      }
      expect(statuses).toEqual([502, 502, 502])
      expect(await hits()).toBe(2)
    } finally {
      relay.proc.kill('SIGKILL')
    }
  }, 30_000)

  it('/readyz follows a test-owned Redis down and back; requests get ids and log lines; SIGTERM exits 0', async () => {
    const port = await freePort()
    let redis = await startRedis(port)
    const config = await writeRelayConfig(dir, 'ops-relay.json', {
      store: { type: 'redis', url: `redis://127.0.0.1:${port}` },
    })
    const relay = await startRelay(['--config', config, '--trust-request-id'])
    try {
      expect((await fetch(`${relay.url}/readyz`)).status).toBe(200)
      await stopRedis(redis)
      const down = await fetch(`${relay.url}/readyz`)
      expect(down.status).toBe(503)
      expect(await down.json()).toEqual({ status: 'unavailable', checks: { store: 'failed' } })
      redis = await startRedis(port)
      await expect
        .poll(async () => (await fetch(`${relay.url}/readyz`)).status, {
          timeout: 15_000,
          interval: 250,
        })
        .toBe(200)
      const refused = await fetch(`${relay.url}/secure-request`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-real-token' },
        body: '{}',
      })
      expect(refused.status).toBe(401)
      await refused.text()
      const id = refused.headers.get('x-request-id')
      await expect
        .poll(() => logLines(relay.stderr).find((line) => line.route === 'POST /secure-request'))
        .toMatchObject({ service: 'relay', status: 401, requestId: id })
      expect(relay.stderr.join('\n')).not.toContain('not-a-real-token')
      relay.proc.kill('SIGTERM')
      expect(await relay.exit).toBe(0)
      expect(logLines(relay.stderr).map((line) => line.msg)).toContain('shutdown complete')
    } finally {
      relay.proc.kill('SIGKILL')
      await stopRedis(redis)
    }
  }, 60_000)
})

describe('operations flags', () => {
  it.each([
    [
      ['--problem-base', 'ftp://docs.example/errors/'],
      /--problem-base must be an absolute http\(s\) URL/,
    ],
    [['--problem-base', 'https://docs.example/errors/?q=1'], /--problem-base/],
    [['--drain-timeout', '0'], /--drain-timeout must be an integer/],
    [['--metrics-port', '70000'], /--metrics-port must be an integer/],
    [['--log-level', 'loud'], /--log-level must be one of/],
  ])('tokens serve and relay serve refuse %j with exit 2', async (flags, message) => {
    for (const command of [
      ['tokens', 'serve', '--issuer', 'https://t.test'],
      ['relay', 'serve'],
    ]) {
      const result = await inProcess([...command, ...flags])
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(message)
    }
  })

  it('refuses a metrics token shorter than 16 characters without echoing it', async () => {
    const result = await runCli(['tokens', 'serve', '--issuer', 'https://t.test'], {
      env: { COUNTERSIGN_METRICS_TOKEN: 'short-secret' },
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/COUNTERSIGN_METRICS_TOKEN must be at least 16/)
    expect(result.stderr).not.toContain('short-secret')
  }, 30_000)
})
