import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { CliIo } from '../src/io.ts'
import { runCli as runCliInProcess } from '../src/run-cli.ts'

/** The `countersign` executable, run from source with Node's type stripping. */
export const CLI = fileURLToPath(new URL('../src/bin/countersign.ts', import.meta.url))

/** A running `countersign tokens serve` child process. */
export interface CliProcess {
  proc: ChildProcess
  url: string
  adminKey: string | undefined
  stdout: string[]
  stderr: string[]
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>
}

/** Starts the CLI (from source, with Node's type stripping) and waits for "listening on". */
export function startCli(args: string[], env: Record<string, string> = {}): Promise<CliProcess> {
  const proc = spawn(process.execPath, [CLI, 'tokens', 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: string[] = []
  const stderr: string[] = []
  let adminKey: string | undefined
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`CLI did not start: ${stderr.join('\n')}`))
    }, 20_000)
    let buffered = ''
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        stdout.push(line)
        const admin = /admin API key \(shown once, store it now\): (\S+)/.exec(line)
        if (admin) {
          adminKey = admin[1]
        }
        const listening = /^listening on (\S+)/.exec(line)
        if (listening) {
          clearTimeout(timer)
          resolve({
            proc,
            url: listening[1] as string,
            adminKey,
            stdout,
            stderr,
            stop: async () => {
              proc.kill('SIGTERM')
              await exited
            },
            kill: async () => {
              proc.kill('SIGKILL')
              await exited
            },
          })
        }
      }
    })
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(...chunk.toString().split('\n').filter(Boolean))
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`CLI exited with ${code}: ${stderr.join('\n')}`))
    })
  })
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** JSON POST helper. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

/** Creates an API key through the admin route and returns it. */
export async function adminCreateKey(
  url: string,
  adminKey: string,
  scopes: string[],
): Promise<string> {
  const response = await postJson(
    `${url}/admin/api-keys`,
    { name: scopes.join(' '), scopes },
    {
      authorization: `Bearer ${adminKey}`,
    },
  )
  if (response.status !== 201) {
    throw new Error(`create key: ${response.status} ${await response.text()}`)
  }
  return ((await response.json()) as { key: string }).key
}

/** What a finished CLI process left. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /** Raw stdout bytes. */
  bytes: Buffer
}

/**
 * Runs the CLI to completion (`bin` picks `countersign`, `countersign-tokens` or
 * `countersign-relay`); kills it after `killAfterMs` so a hang fails the test instead of
 * stalling it (`code` is then `null`).
 */
export function runCli(
  args: string[],
  options: {
    stdin?: Uint8Array | string
    env?: Record<string, string>
    bin?: string
    cwd?: string
    killAfterMs?: number
  } = {},
): Promise<CliResult> {
  const bin =
    options.bin === undefined
      ? CLI
      : fileURLToPath(new URL(`../src/bin/${options.bin}.ts`, import.meta.url))
  const proc = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  })
  const out: Buffer[] = []
  const err: Buffer[] = []
  proc.stdout.on('data', (chunk: Buffer) => out.push(chunk))
  proc.stderr.on('data', (chunk: Buffer) => err.push(chunk))
  proc.stdin.end(options.stdin ?? '')
  const timer = setTimeout(() => proc.kill('SIGKILL'), options.killAfterMs ?? 60_000)
  return new Promise((resolve) => {
    proc.once('close', (code) => {
      clearTimeout(timer)
      const bytes = Buffer.concat(out)
      resolve({ code, stdout: bytes.toString(), stderr: Buffer.concat(err).toString(), bytes })
    })
  })
}

/** Runs a command in this process with captured output: fast, for many variants. */
export async function inProcess(
  args: string[],
  stdin = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const text = (t: string | Uint8Array): string =>
    typeof t === 'string' ? t : Buffer.from(t).toString()
  const io: CliIo = {
    stdout: { write: (t) => (stdout += text(t)) },
    stderr: { write: (t) => (stderr += text(t)) },
    stdin: [Buffer.from(stdin)],
    env: {},
  }
  const code = await runCliInProcess(args, io)
  return { code, stdout, stderr }
}

/** Starts a test-owned redis-server on `port` (loopback, no RDB snapshots) with `extra` arguments. */
export async function startRedisServer(port: number, extra: string[] = []): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000)
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
    proc.once('exit', () => reject(new Error('redis-server exited')))
  })
  return proc
}
