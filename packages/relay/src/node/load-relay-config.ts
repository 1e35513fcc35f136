/**
 * Loading a relay config file: read, validate (every issue with its JSON path), resolve
 * secrets from the environment or files, import the keys, and create the store and audit sink.
 *
 * This is the one place the file form maps onto the options of `createRelay`: `server` and
 * `$schema` exist only in the file; `keys`, `store` and `audit` are settings in the file and
 * objects in code; `{ "env" }`/`{ "file" }` secrets become strings (HMAC secrets bytes). Every
 * other member is the same in both.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve as resolvePath } from 'node:path'
import {
  createKeyRing,
  createMemoryStore,
  importKey,
  type KeyRing,
  type WindowCounterStore,
} from '@countersign/core'
import { jsonLinesSink } from '../audit.ts'
import {
  decodeSecret,
  RelayConfigError,
  type RelayConfigIssue,
  type RelayFileConfig,
  type SecretRef,
  validateRelayConfig,
} from '../config/validate-relay-config.ts'
import type { RelayAuth, RelayOptions, RelayTarget } from '../types.ts'

/** Options of {@link loadRelayConfig}. */
export interface LoadRelayConfigOptions {
  /** Where `{ "env": "NAME" }` secrets are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
}

/** A loaded config: relay options ready for `createRelay`, the server settings, and cleanup. */
export interface LoadedRelayConfig {
  /** Options for `createRelay`. */
  options: RelayOptions
  /** Where to listen. */
  server: { port: number; host: string; origin?: string }
  /** Closes what loading opened (the store's connections). */
  close(): Promise<void>
}

type Closable = { close(): Promise<void> }

class Resolver {
  readonly issues: RelayConfigIssue[] = []
  readonly env: Readonly<Record<string, string | undefined>>
  readonly baseDir: string
  constructor(env: Readonly<Record<string, string | undefined>>, baseDir: string) {
    this.env = env
    this.baseDir = baseDir
  }

  async secret(ref: SecretRef, path: string): Promise<string | undefined> {
    if (typeof ref === 'string') {
      return ref
    }
    if ('env' in ref) {
      const value = this.env[ref.env]
      if (value === undefined || value.length === 0) {
        this.issues.push({ path, message: `environment variable ${ref.env} is not set` })
        return undefined
      }
      return value
    }
    try {
      return (await readFile(resolvePath(this.baseDir, ref.file), 'utf8')).trim()
    } catch {
      this.issues.push({ path, message: `cannot read the file ${ref.file}` })
      return undefined
    }
  }
}

async function loadKeys(config: RelayFileConfig, r: Resolver): Promise<KeyRing | undefined> {
  if (config.keys === undefined) {
    return undefined
  }
  const ring = createKeyRing()
  for (const [i, entry] of config.keys.entries()) {
    const path = `keys[${i}]`
    let input: string | JsonWebKey | undefined
    if (entry.pem !== undefined) {
      input = await r.secret(entry.pem, `${path}.pem`)
    } else if (entry.privateJwk !== undefined) {
      const jwk = entry.privateJwk
      if ('env' in jwk || 'file' in jwk) {
        const text = await r.secret(jwk as SecretRef, `${path}.privateJwk`)
        if (text !== undefined) {
          try {
            input = JSON.parse(text) as JsonWebKey
          } catch {
            r.issues.push({ path: `${path}.privateJwk`, message: 'is not JSON' })
          }
        }
      } else {
        input = jwk as JsonWebKey
      }
    }
    if (input === undefined) {
      continue
    }
    try {
      const key = await importKey(input, {
        algorithm: 'ed25519',
        ...(entry.keyId === undefined ? {} : { keyId: entry.keyId }),
      })
      if (key.type !== 'private') {
        r.issues.push({ path, message: 'must be a private key (the relay signs with it)' })
        continue
      }
      ring.add(key, {
        ...(entry.primary === undefined ? {} : { primary: entry.primary }),
        ...(entry.notBefore === undefined ? {} : { notBefore: Date.parse(entry.notBefore) }),
        ...(entry.notAfter === undefined ? {} : { notAfter: Date.parse(entry.notAfter) }),
      })
    } catch (error) {
      r.issues.push({
        path,
        message: `is not a usable Ed25519 private key${error instanceof TypeError ? ` (${error.message})` : ''}`,
      })
    }
  }
  return ring
}

async function loadTargets(config: RelayFileConfig, r: Resolver): Promise<RelayTarget[]> {
  const targets: RelayTarget[] = []
  for (const [i, target] of config.targets.entries()) {
    const { signing: _signing, skapiCompat: _skapi, ...plain } = target
    const out: RelayTarget = { ...plain }
    if (target.signing !== undefined) {
      const { algorithm, secret, keyId } = target.signing
      out.signing = {
        ...(algorithm === undefined ? {} : { algorithm }),
        ...(keyId === undefined ? {} : { keyId }),
      }
      if (secret !== undefined) {
        const path = `targets[${i}].signing.secret`
        const text = await r.secret(secret, path)
        if (text !== undefined) {
          const bytes = decodeSecret(text)
          if (bytes === undefined || bytes.byteLength < 32) {
            r.issues.push({ path, message: 'must be unpadded base64url of at least 32 bytes' })
          } else {
            out.signing.secret = bytes
          }
        }
      }
    }
    if (target.skapiCompat !== undefined) {
      const apiKey = await r.secret(target.skapiCompat.apiKey, `targets[${i}].skapiCompat.apiKey`)
      if (apiKey !== undefined) {
        out.skapiCompat = { apiKey }
      }
    }
    targets.push(out)
  }
  return targets
}

async function loadAuth(config: RelayFileConfig, r: Resolver): Promise<RelayAuth | undefined> {
  const auth = config.auth
  switch (auth.type) {
    case 'introspection': {
      const apiKey = await r.secret(auth.apiKey, 'auth.apiKey')
      return apiKey === undefined ? undefined : { ...auth, apiKey }
    }
    default:
      return { ...auth }
  }
}

async function loadStore(
  config: RelayFileConfig,
  r: Resolver,
): Promise<(WindowCounterStore & Closable) | undefined> {
  const store = config.store
  if (store === undefined || store.type === 'memory') {
    return createMemoryStore(
      store?.maxEntries === undefined ? {} : { maxEntries: store.maxEntries },
    )
  }
  if (store.type === 'redis') {
    const url = store.url === undefined ? undefined : await r.secret(store.url, 'store.url')
    if (store.url !== undefined && url === undefined) {
      return undefined
    }
    const { createRedisStore } = await import('@countersign/store/redis')
    return createRedisStore({
      ...(url === undefined ? {} : { url }),
      ...(store.prefix === undefined ? {} : { prefix: store.prefix }),
    })
  }
  const { createSqliteStore } = await import('@countersign/store/sqlite')
  return createSqliteStore({ path: resolvePath(r.baseDir, store.path) })
}

/**
 * Reads a relay config file (`countersign.config.json`; when it has a `relay` section, that
 * section), validates it, resolves `{ "env" }` and `{ "file" }` secrets, imports the keys and
 * opens the store. Everything wrong is reported at once, each issue with its JSON path.
 *
 * @example
 * ```ts
 * const { options, server, close } = await loadRelayConfig('countersign.config.json')
 * const running = await serveRelay(createRelay(options), server)
 * ```
 *
 * @throws {@link @countersign/relay!RelayConfigError} listing every issue (including unset environment variables
 *   and keys that do not import); `Error` when the file cannot be read or is not JSON.
 */
export async function loadRelayConfig(
  path: string,
  options: LoadRelayConfigOptions = {},
): Promise<LoadedRelayConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new Error(`cannot read the relay config file ${path}`, { cause })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new Error(`the relay config file ${path} is not valid JSON`, { cause })
  }
  if (
    typeof json === 'object' &&
    json !== null &&
    'relay' in json &&
    !('targets' in json) &&
    typeof (json as { relay: unknown }).relay === 'object'
  ) {
    json = (json as { relay: unknown }).relay
  }
  const config = validateRelayConfig(json)
  const r = new Resolver(options.env ?? process.env, dirname(resolvePath(path)))
  const keys = await loadKeys(config, r)
  const targets = await loadTargets(config, r)
  const auth = await loadAuth(config, r)
  if (r.issues.length > 0 || auth === undefined) {
    throw new RelayConfigError(r.issues)
  }
  const store = await loadStore(config, r)
  if (r.issues.length > 0 || store === undefined) {
    await store?.close()
    throw new RelayConfigError(r.issues)
  }
  // The members the file states differently (references, file keys, store and audit settings)
  // are mapped above; every other member means the same in code and is passed on as it is.
  const { $schema: _schema, server: _server, keys: _keys, store: _store, audit, ...shared } = config
  const relay: RelayOptions = {
    ...shared,
    targets,
    auth,
    store,
    ...(keys === undefined ? {} : { keys }),
  }
  if (audit === 'stdout') {
    relay.audit = jsonLinesSink(process.stdout)
  } else if (audit === 'stderr') {
    relay.audit = jsonLinesSink(process.stderr)
  }
  return {
    options: relay,
    server: {
      port: config.server?.port ?? 8787,
      host: config.server?.host ?? '127.0.0.1',
      ...(config.server?.origin === undefined ? {} : { origin: config.server.origin }),
    },
    close: () => store.close(),
  }
}
