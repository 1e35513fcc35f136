/**
 * Child processes the scale tests own: launched services and HAProxy. Every one is killed in
 * `stopAll()`, and with SIGKILL when the test process exits or gets SIGTERM/SIGINT.
 *
 * @module
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LaunchConfig } from './launcher.ts'

const live = new Set<ChildProcess>()
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(1)
  })
}
process.once('exit', () => killAll())

function killAll(): void {
  for (const child of live) {
    child.kill('SIGKILL')
  }
  live.clear()
}

/** A child the tests own. */
export interface Owned {
  readonly child: ChildProcess
  readonly port: number
  /** SIGKILL, and resolves once it has exited. */
  kill(): Promise<void>
}

function own(child: ChildProcess, port: number): Owned {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return {
    child,
    port,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return
      }
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await gone
    },
  }
}

/** Kills every child started here. */
export function stopAll(): void {
  killAll()
}

/** Starts `launcher.ts` with `config` and resolves once it listens. */
export async function launch(config: LaunchConfig): Promise<Owned> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'launcher.ts'), JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const owned = own(child, config.port)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${config.kind} did not start: ${stderr}`)),
      30_000,
    )
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${config.kind} exited with ${code}: ${stderr}`))
    })
  })
  return owned
}

/**
 * Starts HAProxy in the foreground with one HTTP frontend per entry, round robin over its
 * backends, with fast health checks so a dead backend leaves the rotation within a second.
 * Only connection failures are retried (elsewhere): a request that reached a backend is never
 * sent twice.
 */
/** Resolves once `url` answers 2xx (e.g. a balancer with a backend up), within `timeoutMs`. */
export async function waitUp(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not come up`)
}

export async function startHaproxy(
  dir: string,
  frontends: Array<{ name: string; port: number; backends: number[]; check: string }>,
): Promise<Owned> {
  const lines = [
    'global',
    '  maxconn 512',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    '  timeout check 1s',
    '  retries 2',
    '  option redispatch',
    // Only a connection that never opened is retried: a request a backend may have received is
    // never sent again (no empty-response, no response-timeout retries).
    '  retry-on conn-failure',
  ]
  for (const { name, port, backends, check } of frontends) {
    lines.push(`frontend ${name}_in`, `  bind 127.0.0.1:${port}`, `  default_backend ${name}`)
    lines.push(`backend ${name}`, '  balance roundrobin', '  option httpchk')
    lines.push(`  http-check send meth GET uri ${check} ver HTTP/1.1 hdr host 127.0.0.1`)
    for (const [i, backend] of backends.entries()) {
      lines.push(`  server ${name}${i} 127.0.0.1:${backend} check inter 300 fall 2 rise 1`)
    }
  }
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, `${lines.join('\n')}\n`)
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] })
  const owned = own(child, frontends[0]!.port)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000)
  })
  let last = ''
  const deadline = Date.now() + 10_000
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${frontends[0]!.port}${frontends[0]!.check}`).then(
      (r) => {
        last = String(r.status)
        return r.ok
      },
      (e: Error) => {
        last = e.message
        return false
      },
    )
    if (up) {
      return owned
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`haproxy did not start (${last}): ${stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
