/// <reference types="node" />
/**
 * The `countersign-tokens` command (also `countersign tokens …`): serves the token service on
 * `node:http` with a SQLite file (default) or Redis from `@countersign/store`.
 *
 * ```sh
 * countersign tokens serve [--db FILE | --redis URL] [--port N] [--host H] [--issuer URL]
 *                          [--master-key-file FILE]
 * ```
 *
 * The master key comes from `COUNTERSIGN_MASTER_KEY` (base64url, 32 bytes) or a key file,
 * created with mode 0600 on first run. On the first run against a store, an admin API key is
 * created and printed once.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { Store } from '@countersign/core'
import { createApiKeys } from '../api-keys.ts'
import { createTokenService, TOKEN_SERVICE_SCOPES } from '../service/token-service.ts'
import { serveTokenService } from './serve.ts'

const USAGE = `Usage: countersign tokens serve [options]

Options:
  --db FILE               SQLite database file (default ./countersign-tokens.db)
  --redis URL             Redis URL instead of SQLite (e.g. redis://127.0.0.1:6379)
  --redis-prefix P        Prefix of every Redis key (default cs)
  --port N                Port (default 8080; 0 picks a free port)
  --host H                Interface to bind (default 127.0.0.1)
  --issuer URL            The iss of user tokens (default http://<host>:<port>)
  --master-key-file FILE  Master key file (default <db>.key, or ./countersign-tokens.key with --redis)
  --max-body-bytes N      Largest request body (default 65536)
  -h, --help              Show this help

Environment:
  COUNTERSIGN_MASTER_KEY  The master key (base64url of 32 bytes); overrides the key file.
`

const ADMIN_MARKER = 'cs:svc:admin-key'

/** Reads the master key from the environment or a file, creating the file on first run. */
async function loadMasterKey(file: string, log: (line: string) => void): Promise<string> {
  const fromEnv = process.env.COUNTERSIGN_MASTER_KEY
  if (fromEnv !== undefined && fromEnv.length > 0) {
    return fromEnv.trim()
  }
  try {
    return (await readFile(file, 'utf8')).trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error
    }
  }
  const key = randomBytes(32).toString('base64url')
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
    log(`created master key file ${file} (keep it secret and back it up)`)
    return key
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return (await readFile(file, 'utf8')).trim()
    }
    throw error
  }
}

async function openStore(values: {
  db?: string
  redis?: string
  'redis-prefix'?: string
}): Promise<Store> {
  try {
    if (values.redis !== undefined) {
      const { createRedisStore } = await import('@countersign/store/redis')
      const prefix = values['redis-prefix']
      return await createRedisStore({
        url: values.redis,
        ...(prefix === undefined ? {} : { prefix }),
      })
    }
    const { createSqliteStore } = await import('@countersign/store/sqlite')
    return createSqliteStore({ path: values.db ?? 'countersign-tokens.db' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error('the CLI needs @countersign/store: npm install @countersign/store')
    }
    throw error
  }
}

/**
 * Runs the CLI with `argv` (without the node and script paths). Resolves with the exit code
 * for one-shot commands; `serve` keeps running until SIGINT/SIGTERM.
 */
export async function runTokensCli(argv: readonly string[]): Promise<number> {
  const args = argv[0] === 'tokens' ? argv.slice(1) : [...argv]
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`)
  }
  const err = (line: string): void => {
    process.stderr.write(`${line}\n`)
  }
  let parsed: ReturnType<typeof parse>
  function parse(list: string[]) {
    return parseArgs({
      args: list,
      allowPositionals: true,
      strict: true,
      options: {
        db: { type: 'string' },
        redis: { type: 'string' },
        'redis-prefix': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        issuer: { type: 'string' },
        'master-key-file': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  }
  try {
    parsed = parse(args)
  } catch (error) {
    err(error instanceof Error ? error.message : String(error))
    err(USAGE)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help === true) {
    out(USAGE)
    return 0
  }
  if (positionals.length !== 1 || positionals[0] !== 'serve') {
    err(USAGE)
    return 2
  }
  if (values.db !== undefined && values.redis !== undefined) {
    err('use either --db or --redis, not both')
    return 2
  }
  const port = values.port === undefined ? 8080 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    err('--port must be an integer from 0 to 65535')
    return 2
  }
  const maxBodyBytes =
    values['max-body-bytes'] === undefined ? 64 * 1024 : Number(values['max-body-bytes'])
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    err('--max-body-bytes must be a positive integer')
    return 2
  }
  const host = values.host ?? '127.0.0.1'
  const keyFile =
    values['master-key-file'] ??
    (values.redis === undefined
      ? `${values.db ?? 'countersign-tokens.db'}.key`
      : 'countersign-tokens.key')

  const masterKey = await loadMasterKey(keyFile, err)
  const store = await openStore(values)
  const apiKeys = createApiKeys({ store, masterKey })

  // First run: create the admin key, exactly once across instances sharing the store.
  if ((await store.get(ADMIN_MARKER)) === undefined) {
    const admin = await apiKeys.createApiKey({
      name: 'admin',
      scopes: [TOKEN_SERVICE_SCOPES.admin],
    })
    if (await store.set(ADMIN_MARKER, admin.id, { ifAbsent: true })) {
      out(`admin API key (shown once, store it now): ${admin.key}`)
    } else {
      await apiKeys.delete(admin.id)
    }
  }

  const logger = (event: object): void => {
    err(JSON.stringify(event))
  }
  let handler: ReturnType<typeof createTokenService> | undefined
  const running = await serveTokenService(
    (request) =>
      handler === undefined
        ? Promise.resolve(new Response(null, { status: 503 }))
        : handler(request),
    {
      port,
      host,
      maxBodyBytes: maxBodyBytes + 1024,
    },
  )
  const issuer = values.issuer ?? running.url
  handler = createTokenService({ store, issuer, masterKey, apiKeys, maxBodyBytes, logger })
  out(`listening on ${running.url}`)

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      void running
        .close()
        .then(() => store.close())
        .finally(resolve)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  return 0
}
