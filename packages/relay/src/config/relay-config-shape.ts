/**
 * The one statement of the relay configuration's shape. It checks a config file
 * (`validateRelayConfig`) and the options of `createRelay` (`checkRelayOptions`), states the
 * file's TypeScript type (`RelayFileConfig`) and writes its JSON Schema (`config.schema.json`).
 *
 * @internal
 * @module
 */
import { auth } from './auth-shape.ts'
import { missingRelayKeys, relayKeys } from './keys-shape.ts'
import { secretRef } from './secret-shape.ts'
import {
  boolean,
  byMode,
  codeOnly,
  custom,
  fileOnly,
  integer,
  list,
  literal,
  object,
  oneOf,
  optional,
  report,
  required,
  tagged,
  text,
} from './shape-kit.ts'
import { targets } from './target-shape.ts'

function isOrigin(value: unknown): boolean {
  try {
    return typeof value === 'string' && new URL(value).origin === value
  } catch {
    return false
  }
}

const server = object({
  port: optional(integer(0, 65_535), 'The port. Default 8787.'),
  host: optional(text(), 'The interface. Default 127.0.0.1.'),
  origin: optional(
    text({
      format: 'uri',
      further(value, path, ctx) {
        if (!isOrigin(value)) {
          report(ctx, path, 'must be an origin such as https://relay.example')
        }
      },
    }),
    'The public origin clients use, e.g. https://relay.example (for the request URL).',
  ),
})

const rule = object({
  limit: required(integer(1, 1_000_000_000), 'Requests allowed per window.'),
  windowMs: required(integer(1000, 31 * 24 * 3_600_000), 'The sliding window.'),
})

const fileStore = tagged({
  memory: object({
    type: required(literal('memory')),
    maxEntries: optional(integer(1, 100_000_000), 'How many counters are kept.'),
  }),
  redis: object({
    type: required(literal('redis')),
    url: optional(secretRef(), 'The Redis URL (it may hold a password: a reference is best).'),
    prefix: optional(
      text({
        pattern: /^[A-Za-z0-9._:-]{1,64}$/,
        hint: 'must be 1-64 characters of letters, digits and ._-:',
        strict: true,
      }),
      'The key prefix.',
    ),
  }),
  sqlite: object({
    type: required(literal('sqlite')),
    path: required(text(), 'The database file, relative to the config file.'),
  }),
})

const runtimeStore = custom({}, (value, path, ctx) => {
  if (
    !(
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { hit?: unknown }).hit === 'function'
    )
  ) {
    report(ctx, path, 'must be a store with hit(key, { limit, windowMs })')
  }
})

const fn = custom<never>({}, (value, path, ctx) => {
  if (typeof value !== 'function') {
    report(ctx, path, 'must be a function')
  }
})

/** The relay configuration: the file form, and (with its code-only members) the options. */
export const relayConfigShape = object(
  {
    $schema: fileOnly(text(), 'The JSON Schema of this file.'),
    server: fileOnly(server, 'Where the CLI listens.'),
    keys: optional(relayKeys, "The relay's Ed25519 signing keys, oldest first.", missingRelayKeys),
    targets: required(targets, 'The registered targets.'),
    auth: required(auth, 'How end users are authenticated.'),
    store: optional(
      byMode(fileStore, runtimeStore),
      'Where rate limits are counted. Default { "type": "memory" }.',
    ),
    rateLimit: optional(
      object({
        perUser: optional(rule, 'Per user, across targets.'),
        perTarget: optional(rule, 'Per target, across users.'),
      }),
      'Sliding-window rate limits.',
    ),
    maxRequestBytes: optional(integer(1, 64 * 1024 * 1024), 'The largest request body.'),
    maxJsonDepth: optional(integer(1, 1000), 'The deepest JSON nesting of a request body.'),
    maxBatchSize: optional(integer(1, 100), 'The most requests in one batch.'),
    signatureTtlSeconds: optional(integer(1, 3600), 'How long a forward signature is valid.'),
    connectTimeoutMs: optional(integer(1, 60_000), 'The upstream connect timeout.'),
    audit: optional(
      byMode(oneOf(['none', 'stdout', 'stderr']), fn),
      'Where audit events go, as JSON lines. Default none.',
    ),
    cors: optional(
      object({
        allowedOrigins: required(
          list(
            custom<string>({ type: 'string', format: 'uri' }, (value, path, ctx) => {
              if (!isOrigin(value)) {
                report(ctx, path, 'must be an origin such as https://app.example')
              }
            }),
            { notArray: 'must be an array of origins' },
          ),
          'Browser origins allowed to call the relay.',
          'must be an array of origins',
        ),
        maxAgeSeconds: optional(integer(0, 86_400), 'How long browsers cache a preflight.'),
      }),
      'Cross-origin browser access.',
    ),
    localDevelopment: optional(boolean(), 'Allow plain http targets (local development only).'),
    resolver: codeOnly(fn),
    onTokenCache: codeOnly(fn),
  },
  {
    // Reported in this order: targets before the keys they decide on.
    checkFirst: [
      'localDevelopment',
      'targets',
      'keys',
      'auth',
      'rateLimit',
      'maxRequestBytes',
      'maxJsonDepth',
      'maxBatchSize',
      'signatureTtlSeconds',
      'connectTimeoutMs',
      'server',
      'store',
      'cors',
    ],
  },
)
