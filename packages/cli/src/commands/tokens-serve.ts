/**
 * `countersign tokens serve`: the token service on `node:http` with a SQLite file (default) or
 * Redis.
 *
 * @module
 */
import type { Store } from '@countersign/core'
import type { createApiKeys, SigningKeys, TokenServiceLogEvent } from '@countersign/tokens'
import type { RunningServer } from '@countersign/tokens/node'
import { CliError, EXIT } from '../cli-error.ts'
import type { Command } from '../command.ts'
import { listenError } from '../internal/listen-error.ts'
import { loadMasterKey } from '../internal/load-master-key.ts'
import { type MountedConsole, mountConsole } from '../internal/mount-console.ts'
import { openTokenStore } from '../internal/open-token-store.ts'
import { integerOption, stringOption } from '../internal/options.ts'
import { resolveIssuer } from '../internal/resolve-issuer.ts'
import { OPS_ENV, OPS_HELP, OPS_OPTIONS, serveOps } from '../internal/serve-ops.ts'
import { waitForStore } from '../internal/wait-for-store.ts'

const ADMIN_MARKER = 'cs:svc:admin-key'

/** How long the current signing key has signed, in seconds (for the key-age metric). */
async function signingKeyAgeSeconds(keys: SigningKeys): Promise<number> {
  const untilNext = (await keys.nextRotationAt()).getTime() - Date.now()
  return Math.max(0, keys.rotateEveryMs - untilNext) / 1000
}

const HELP = `Usage: countersign tokens serve [options]

Serves the token service. On the first run against a store it prints an admin API key once.

Options:
  --db FILE               SQLite database file (default ./countersign-tokens.db)
  --redis URL             Redis URL instead of SQLite (e.g. redis://127.0.0.1:6379)
  --redis-prefix P        Prefix of every Redis key (default cs)
  --port N                Port (default 8080; 0 picks a free port, then --issuer is required)
  --host H                Interface to bind (default 127.0.0.1)
  --issuer URL            The iss of user tokens. Default http://<host>:<port>, allowed only with
                          a fixed port, a named host and SQLite; required otherwise
  --master-key-file FILE  Master key file (default <db>.key, or ./countersign-tokens.key with --redis)
  --max-body-bytes N      Largest request body (default 65536)
  --start-timeout MS      How long to retry a store that is down at start (default 10000)
  --console               Also serve the web console under /console (off by default): sign in
                          with an admin API key
  --audit-db FILE         The console's SQLite audit log (default <db>.audit.db, or
                          ./countersign-audit.db with --redis)
  --audit-retention-days N  How long audit events are kept (default 90)
${OPS_HELP}
  -h, --help              Show this help

Serves GET /healthz (alive) and GET /readyz (store reachable, signing key loaded; 503 naming
the failing check). Logs one JSON line per request on standard error.

Environment:
  COUNTERSIGN_MASTER_KEY  The master key (base64url of 32 bytes); overrides the key file.
${OPS_ENV}

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 bad usage, 3 could not start (unreadable key file,
store down past --start-timeout, port in use).`

async function createAdminKeyOnce(
  store: Store,
  apiKeys: ReturnType<typeof createApiKeys>,
  out: (line: string) => void,
): Promise<void> {
  if ((await store.get(ADMIN_MARKER)) !== undefined) {
    return
  }
  const { TOKEN_SERVICE_SCOPES } = await import('@countersign/tokens')
  const admin = await apiKeys.createApiKey({ name: 'admin', scopes: [TOKEN_SERVICE_SCOPES.admin] })
  if (await store.set(ADMIN_MARKER, admin.id, { ifAbsent: true })) {
    out(`admin API key (shown once, store it now): ${admin.key}`)
  } else {
    await apiKeys.delete(admin.id)
  }
}

export const tokensServe: Command = {
  name: 'tokens serve',
  summary: 'run the token service (SQLite or Redis)',
  help: HELP,
  options: {
    db: { type: 'string' },
    redis: { type: 'string' },
    'redis-prefix': { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    issuer: { type: 'string' },
    'master-key-file': { type: 'string' },
    'max-body-bytes': { type: 'string' },
    'start-timeout': { type: 'string' },
    console: { type: 'boolean' },
    'audit-db': { type: 'string' },
    'audit-retention-days': { type: 'string' },
    ...OPS_OPTIONS,
  },
  async run(values, _positionals, io) {
    const out = (line: string): void => void io.stdout.write(`${line}\n`)
    const err = (line: string): void => void io.stderr.write(`countersign tokens serve: ${line}\n`)
    const redis = stringOption(values, 'redis')
    if (stringOption(values, 'db') !== undefined && redis !== undefined) {
      throw new CliError(EXIT.usage, 'use either --db or --redis, not both')
    }
    const db = stringOption(values, 'db') ?? 'countersign-tokens.db'
    const port = integerOption(values, 'port', 8080, 0, 65_535)
    const maxBodyBytes = integerOption(values, 'max-body-bytes', 64 * 1024, 1, 2 ** 30)
    const timeoutMs = integerOption(values, 'start-timeout', 10_000, 1, 600_000)
    const consoleOn = values.console === true
    const retentionDays = integerOption(values, 'audit-retention-days', 90, 1, 36_500)
    const auditDb =
      stringOption(values, 'audit-db') ??
      (redis === undefined ? `${db}.audit.db` : 'countersign-audit.db')
    if (
      !consoleOn &&
      (values['audit-db'] !== undefined || values['audit-retention-days'] !== undefined)
    ) {
      throw new CliError(EXIT.usage, '--audit-db and --audit-retention-days need --console')
    }
    const host = stringOption(values, 'host') ?? '127.0.0.1'
    const issuer = resolveIssuer(stringOption(values, 'issuer'), {
      host,
      port,
      shared: redis !== undefined,
    })
    const keyFile =
      stringOption(values, 'master-key-file') ??
      (redis === undefined ? `${db}.key` : 'countersign-tokens.key')
    const ops = await serveOps(values, io, 'tokens')
    // Loaded here, not at the top, so `--help` and usage errors answer without loading them.
    const { createApiKeys, createSigningKeys, createTokenService } = await import(
      '@countersign/tokens'
    )
    const { annotateRequest } = await import('@countersign/node-server')
    const { serveTokenService } = await import('@countersign/tokens/node')
    const store = await openTokenStore({
      db,
      redis,
      redisPrefix: stringOption(values, 'redis-prefix'),
      timeoutMs,
    })
    let running: RunningServer
    let mounted: MountedConsole | undefined
    try {
      await waitForStore(() => store.get(ADMIN_MARKER), timeoutMs, 'the store')
      const masterKey = await loadMasterKey(keyFile, io.env, err)
      const apiKeys = createApiKeys({ store, masterKey })
      await createAdminKeyOnce(store, apiKeys, out)
      const annotate = (event: TokenServiceLogEvent): void =>
        annotateRequest({ route: event.route, code: event.code })
      mounted = consoleOn
        ? await mountConsole({
            store,
            issuer,
            masterKey,
            apiKeys,
            auditDb,
            retentionDays,
            log: annotate,
            err,
          })
        : undefined
      const signingKeys =
        mounted?.serviceParts.signingKeys ?? createSigningKeys({ store, masterKey })
      const service = createTokenService({
        store,
        issuer,
        masterKey,
        apiKeys,
        signingKeys,
        maxBodyBytes,
        // The service's own per-request event names the route pattern and code of the log line.
        logger: mounted?.logger ?? annotate,
        ...mounted?.serviceParts,
      })
      const handler = mounted === undefined ? service : mounted.wrap(service)
      ops.metrics?.signingKeyAge(() => signingKeyAgeSeconds(signingKeys))
      const ping = store.ping?.bind(store) ?? (() => store.get(ADMIN_MARKER))
      await ops.start()
      running = await serveTokenService(handler, {
        port,
        host,
        maxBodyBytes: maxBodyBytes + 1024,
        ...ops.serveOptions,
        health: { checks: { store: ping, signing_key: () => signingKeys.current() } },
      }).catch((error: unknown) => {
        throw listenError(error, host, port)
      })
    } catch (error) {
      await mounted?.close().catch(() => {})
      await store.close().catch(() => {})
      throw error
    }
    out(`listening on ${running.url}`)
    if (mounted !== undefined) {
      out(`console on ${running.url}/console/`)
    }
    ops.logger.info({ url: running.url }, 'listening')
    await ops.untilStopped(running, async () => {
      await mounted?.close()
      await store.close()
    })
    return EXIT.ok
  },
}
