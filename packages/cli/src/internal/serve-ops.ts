/**
 * The operations flags of the server commands: drain cap, metrics, request ids, log level,
 * problem type base; and the logger, metrics and metrics listener they make.
 *
 * @module
 */
import type { Logger, Metrics, RunningServer } from '@countersign/node-server'
import { CliError, EXIT } from '../cli-error.ts'
import type { OptionValues } from '../command.ts'
import type { CliIo } from '../io.ts'
import { choiceOption, integerOption, stringOption } from './options.ts'
import { waitForStop } from './wait-for-stop.ts'

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const

/** The option specs shared by `tokens serve` and `relay serve`. */
export const OPS_OPTIONS = {
  'drain-timeout': { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
  'trust-request-id': { type: 'boolean' },
  'problem-base': { type: 'string' },
  'log-level': { type: 'string' },
} as const

/** Their help lines. */
export const OPS_HELP = `  --drain-timeout MS      On SIGTERM/SIGINT, how long answers in progress may finish (default 10000)
  --metrics-port N        Serve Prometheus /metrics on this port (off by default)
  --metrics-host H        Interface of the metrics port (default 127.0.0.1)
  --trust-request-id      Take X-Request-Id from the client (behind a proxy that sets it)
  --problem-base URL      Base of problem type URIs (default https://countersign.dev/errors/)
  --log-level L           fatal, error, warn, info (default), debug or silent`

/** Their environment lines. */
export const OPS_ENV = `  COUNTERSIGN_METRICS_TOKEN  Serve /metrics on the main port to Authorization: Bearer <it>
                             (at least 16 characters)
  COUNTERSIGN_PROBLEM_BASE   Like --problem-base`

/** What the flags set up. */
export interface ServeOps {
  logger: Logger
  metrics: Metrics | undefined
  /** Options for `serveHandler` / `serveRelay`, without `health`. */
  serveOptions: {
    drainTimeoutMs: number
    logger: Logger
    trustRequestId: boolean
    metrics?: Metrics
    metricsToken?: string
  }
  /** Starts the metrics listener, when `--metrics-port` was given. */
  start(): Promise<void>
  /**
   * Waits for SIGTERM/SIGINT (or `io.signal`), then logs the start of shutdown, lets `running`
   * drain for up to `--drain-timeout`, stops the metrics listener, runs `release` and logs the end.
   */
  untilStopped(running: RunningServer, release: () => Promise<void>): Promise<void>
}

/** Reads the operations flags; throws a usage `CliError` for a bad one. */
export async function serveOps(
  values: OptionValues,
  io: CliIo,
  service: string,
): Promise<ServeOps> {
  const drainTimeoutMs = integerOption(values, 'drain-timeout', 10_000, 1, 600_000)
  const metricsPort = integerOption(values, 'metrics-port', -1, 0, 65_535)
  const level = choiceOption(values, 'log-level', LEVELS, 'info')
  const metricsToken = io.env.COUNTERSIGN_METRICS_TOKEN
  if (
    metricsToken !== undefined &&
    (metricsToken.length < 16 || /[^\x21-\x7e]/.test(metricsToken))
  ) {
    throw new CliError(
      EXIT.usage,
      'COUNTERSIGN_METRICS_TOKEN must be at least 16 printable characters',
    )
  }
  const { createLogger, createMetrics, serveMetrics } = await import('@countersign/node-server')
  const { setProblemTypeBase } = await import('@countersign/core')
  try {
    setProblemTypeBase(stringOption(values, 'problem-base') ?? io.env.COUNTERSIGN_PROBLEM_BASE)
  } catch {
    throw new CliError(EXIT.usage, '--problem-base must be an absolute http(s) URL without a query')
  }
  const logger = await createLogger({ level, name: service, destination: io.stderr })
  const on = metricsPort !== -1 || metricsToken !== undefined
  const metrics = on ? await createMetrics() : undefined
  let scrape: RunningServer | undefined
  return {
    logger,
    metrics,
    serveOptions: {
      drainTimeoutMs,
      logger,
      trustRequestId: values['trust-request-id'] === true,
      ...(metrics === undefined ? {} : { metrics }),
      ...(metricsToken === undefined ? {} : { metricsToken }),
    },
    async start() {
      if (metrics !== undefined && metricsPort !== -1) {
        const host = stringOption(values, 'metrics-host') ?? '127.0.0.1'
        scrape = await serveMetrics(metrics, { port: metricsPort, host })
        logger.info({ url: `${scrape.url}/metrics` }, 'metrics listening')
      }
    },
    async untilStopped(running, release) {
      await waitForStop(io.signal)
      const began = performance.now()
      logger.info({ drainTimeoutMs }, 'shutdown started')
      await running.close()
      await scrape?.close()
      await release()
      logger.info({ ms: Math.round(performance.now() - began) }, 'shutdown complete')
    },
  }
}
