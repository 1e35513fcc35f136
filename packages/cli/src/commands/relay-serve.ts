/**
 * `countersign relay serve`: runs the relay from a config file.
 *
 * @module
 */
import type { createRelay } from '@countersign/relay'
import type { RunningRelayServer } from '@countersign/relay/node'
import { EXIT } from '../cli-error.ts'
import type { Command } from '../command.ts'
import { listenError } from '../internal/listen-error.ts'
import { loadRelayConfigOrExit } from '../internal/load-relay-config-or-exit.ts'
import { integerOption, stringOption } from '../internal/options.ts'
import { OPS_ENV, OPS_HELP, OPS_OPTIONS, serveOps } from '../internal/serve-ops.ts'
import { waitForStore } from '../internal/wait-for-store.ts'

const HELP = `Usage: countersign relay serve [options]

Runs the relay described by the config file (see docs/guides/relay.md).

Options:
  --config FILE       The config file (default countersign.config.json)
  --port N            Port (default: the config's server.port, else 8787)
  --host H            Interface to bind (default: the config's server.host, else 127.0.0.1)
  --start-timeout MS  How long to retry a store that is down at start (default 10000)
${OPS_HELP}
  -h, --help          Show this help

Serves GET /healthz (alive) and GET /readyz (store reachable; 503 naming the failing check).
Logs one JSON line per request on standard error; audit events keep their own sink.

Environment:
${OPS_ENV}

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 bad usage, 3 could not start (invalid config,
unreadable key, store down past --start-timeout, port in use).`

const ROUTES = new Set(['/secure-request', '/.well-known/jwks.json'])

/** The route pattern of a relay request, for logs and metrics. */
function relayRoute(method: string, path: string): string {
  return ROUTES.has(path) ? `${method} ${path}` : 'other'
}

/** A `ping` (else a `get`) on the relay's store when it has one (Redis, SQLite): fails while it is down. */
function storeProbe(store: unknown): (() => Promise<unknown>) | undefined {
  const { ping, get } = (store ?? {}) as { ping?: unknown; get?: unknown }
  if (typeof ping === 'function') {
    return () => (ping as () => Promise<unknown>).call(store)
  }
  return typeof get === 'function'
    ? () => (get as (key: string) => Promise<unknown>).call(store, 'cs:cli:start-probe')
    : undefined
}

export const relayServe: Command = {
  name: 'relay serve',
  summary: 'run the relay from a config file',
  help: HELP,
  options: {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'start-timeout': { type: 'string' },
    ...OPS_OPTIONS,
  },
  async run(values, _positionals, io) {
    const file = stringOption(values, 'config') ?? 'countersign.config.json'
    const timeoutMs = integerOption(values, 'start-timeout', 10_000, 1, 600_000)
    const portOption = integerOption(values, 'port', -1, 0, 65_535)
    const ops = await serveOps(values, io, 'relay')
    const loaded = await loadRelayConfigOrExit(file, io.env)
    const { createRelay } = await import('@countersign/relay')
    const { annotateRequest } = await import('@countersign/node-server')
    const sink = loaded.options.audit
    const { metrics } = ops
    const { serveRelay } = await import('@countersign/relay/node')
    const port = portOption === -1 ? loaded.server.port : portOption
    const host = stringOption(values, 'host') ?? loaded.server.host
    let relay: ReturnType<typeof createRelay> | undefined
    let running: RunningRelayServer
    try {
      const probe = storeProbe(loaded.options.store)
      if (probe !== undefined) {
        await waitForStore(probe, timeoutMs, 'the relay store')
      }
      // The audit events also name the code and target of the log line, and count upstream outcomes.
      relay = createRelay({
        ...loaded.options,
        audit: (event) => {
          annotateRequest({ code: event.code, target: event.targetId })
          if (metrics !== undefined && event.targetId !== undefined) {
            metrics.observeUpstream(event.targetId, event.code ?? 'ok')
          }
          return sink?.(event)
        },
        ...(metrics === undefined
          ? {}
          : {
              onTokenCache: (hit: boolean) => {
                if (hit) {
                  metrics.observeTokenCacheHit()
                }
              },
            }),
      })
      await ops.start()
      running = await serveRelay(relay, {
        port,
        host,
        ...ops.serveOptions,
        routeOf: relayRoute,
        health: { checks: probe === undefined ? {} : { store: probe } },
        ...(loaded.server.origin === undefined ? {} : { origin: loaded.server.origin }),
        ...(loaded.options.maxRequestBytes === undefined
          ? {}
          : { maxBodyBytes: loaded.options.maxRequestBytes }),
      }).catch((error: unknown) => {
        throw listenError(error, host, port)
      })
    } catch (error) {
      await relay?.close().catch(() => {})
      await loaded.close().catch(() => {})
      throw error
    }
    io.stderr.write(`countersign relay serve: listening on ${running.url}\n`)
    ops.logger.info({ url: running.url }, 'listening')
    const opened = relay
    await ops.untilStopped(running, async () => {
      await opened.close()
      await loaded.close()
    })
    return EXIT.ok
  },
}
