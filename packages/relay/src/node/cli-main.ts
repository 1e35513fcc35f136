/**
 * The `countersign-relay` command line: `serve`, `check` and `keygen`.
 *
 * @module
 */
import { generateKeyPair } from '@countersign/core'
import { createRelay } from '../create-relay.ts'
import { loadRelayConfig } from './load-relay-config.ts'
import { serveRelay } from './serve-relay.ts'

/** Where the CLI writes and how it is stopped; tests pass their own. */
export interface RelayCliIo {
  /** Normal output. Default `process.stdout`. */
  stdout?: { write(text: string): unknown }
  /** Diagnostics. Default `process.stderr`. */
  stderr?: { write(text: string): unknown }
  /** Stops `serve`. Default: SIGINT or SIGTERM. */
  signal?: AbortSignal
  /** Environment for `{ "env" }` secrets. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
}

const USAGE = `Usage: countersign-relay <command> [options]

Commands:
  serve  --config <file> [--port <n>] [--host <addr>]   run the relay
  check  --config <file>                                validate a config file
  keygen [--kid <id>]                                   print a new Ed25519 private JWK for "keys"

The config file is countersign.config.json (or its "relay" section). See docs/guides/relay.md.
`

function parseArgs(args: readonly string[]): Map<string, string> | string {
  const out = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (!arg.startsWith('--')) {
      return `unexpected argument ${arg}`
    }
    const eq = arg.indexOf('=')
    if (eq !== -1) {
      out.set(arg.slice(2, eq), arg.slice(eq + 1))
      continue
    }
    const value = args[i + 1]
    if (value === undefined || value.startsWith('--')) {
      return `${arg} needs a value`
    }
    out.set(arg.slice(2), value)
    i++
  }
  return out
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal !== undefined) {
      if (signal.aborted) {
        resolve()
      } else {
        signal.addEventListener('abort', () => resolve(), { once: true })
      }
      return
    }
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

/**
 * Runs the relay CLI with `args` (without the program name; a leading `relay`, as in
 * `countersign relay serve`, is accepted) and resolves with the exit code. `serve` resolves
 * once stopped.
 *
 * @example
 * ```ts
 * process.exitCode = await runRelayCli(['serve', '--config', 'countersign.config.json'])
 * ```
 */
export async function runRelayCli(args: readonly string[], io: RelayCliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout
  const stderr = io.stderr ?? process.stderr
  const rest = args[0] === 'relay' ? args.slice(1) : [...args]
  const command = rest[0]
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    ;(command === undefined ? stderr : stdout).write(USAGE)
    return command === undefined ? 2 : 0
  }
  const parsed = parseArgs(rest.slice(1))
  if (typeof parsed === 'string') {
    stderr.write(`countersign-relay: ${parsed}\n\n${USAGE}`)
    return 2
  }
  switch (command) {
    case 'keygen': {
      const kid = parsed.get('kid') ?? `relay-${new Date().toISOString().slice(0, 10)}`
      const { privateKey } = await generateKeyPair('ed25519', { keyId: kid, extractable: true })
      const nativeKey = privateKey.nativeKey as { export?: (o: { format: 'jwk' }) => JsonWebKey }
      let jwk: JsonWebKey
      if (typeof nativeKey.export === 'function') {
        jwk = nativeKey.export({ format: 'jwk' })
      } else {
        jwk = await crypto.subtle.exportKey('jwk', privateKey.nativeKey as CryptoKey)
      }
      stdout.write(
        `${JSON.stringify({ keyId: kid, privateJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d } }, null, 2)}\n`,
      )
      return 0
    }
    case 'check':
    case 'serve': {
      const file = parsed.get('config') ?? 'countersign.config.json'
      let loaded: Awaited<ReturnType<typeof loadRelayConfig>>
      try {
        loaded = await loadRelayConfig(file, io.env === undefined ? {} : { env: io.env })
      } catch (error) {
        stderr.write(
          `countersign-relay: ${file}:\n${error instanceof Error ? error.message : String(error)}\n`,
        )
        return 1
      }
      if (command === 'check') {
        await loaded.close()
        stdout.write(`${file}: ok (${loaded.options.targets.length} targets)\n`)
        return 0
      }
      const port = parsed.has('port') ? Number(parsed.get('port')) : loaded.server.port
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        await loaded.close()
        stderr.write('countersign-relay: --port must be an integer from 0 to 65535\n')
        return 2
      }
      const relay = createRelay(loaded.options)
      const running = await serveRelay(relay, {
        port,
        host: parsed.get('host') ?? loaded.server.host,
        ...(loaded.server.origin === undefined ? {} : { origin: loaded.server.origin }),
        ...(loaded.options.maxRequestBytes === undefined
          ? {}
          : { maxBodyBytes: loaded.options.maxRequestBytes }),
      })
      stderr.write(`countersign-relay: listening on ${running.url}\n`)
      await waitForStop(io.signal)
      await running.close()
      await relay.close()
      await loaded.close()
      return 0
    }
    default:
      stderr.write(`countersign-relay: unknown command ${command}\n\n${USAGE}`)
      return 2
  }
}
