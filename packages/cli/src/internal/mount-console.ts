/**
 * `tokens serve --console`: the console mounted under /console in front of the token service,
 * sharing its API keys, tokens and signing keys, with a SQLite audit log fed by the service's
 * log events and the console's own actions.
 *
 * @module
 */
import type { Store } from '@countersign/core'
import type {
  ApiKeys,
  MasterKeyInput,
  ParameterTokens,
  SigningKeys,
  TokenServiceLogEvent,
  UserTokens,
} from '@countersign/tokens'
import { CliError, EXIT } from '../cli-error.ts'

/** The path the console is served under. */
export const CONSOLE_PATH = '/console'

/** What the console adds to the token service. */
export interface MountedConsole {
  /** The parts the token service must share with the console. */
  serviceParts: {
    signingKeys: SigningKeys
    userTokens: UserTokens
    parameterTokens: ParameterTokens
  }
  /** The service logger: stderr and the audit log. */
  logger: (event: TokenServiceLogEvent) => void
  /** The service handler with the console in front of it. */
  wrap(service: (request: Request) => Promise<Response>): (request: Request) => Promise<Response>
  close(): Promise<void>
}

/** Builds the console over the service's store and keys. */
export async function mountConsole(options: {
  store: Store
  issuer: string
  masterKey: MasterKeyInput
  apiKeys: ApiKeys
  auditDb: string
  retentionDays: number
  log: (event: TokenServiceLogEvent) => void
  err: (line: string) => void
}): Promise<MountedConsole> {
  const { createParameterTokens, createSigningKeys, createUserTokens } = await import(
    '@countersign/tokens'
  )
  const { createConsole, tokenServiceAuditLogger } = await import('@countersign/console')
  const { createSqliteAuditStore } = await import('@countersign/console/sqlite')
  const { store, masterKey } = options
  let audit: ReturnType<typeof createSqliteAuditStore>
  try {
    audit = createSqliteAuditStore({
      path: options.auditDb,
      retentionMs: options.retentionDays * 86_400_000,
    })
  } catch {
    throw new CliError(EXIT.startup, `cannot open the audit database ${options.auditDb}`)
  }
  const signingKeys = createSigningKeys({ store, masterKey })
  const userTokens = createUserTokens({ issuer: options.issuer, keys: signingKeys, store })
  const parameterTokens = createParameterTokens({ store })
  const toAudit = tokenServiceAuditLogger(audit, () =>
    options.err('could not write an audit event'),
  )
  const handler = createConsole({
    apiKeys: options.apiKeys,
    userTokens,
    parameterTokens,
    signingKeys,
    audit,
    sessionStore: store,
    basePath: CONSOLE_PATH,
  })
  return {
    serviceParts: { signingKeys, userTokens, parameterTokens },
    logger: (event) => {
      options.log(event)
      toAudit(event)
    },
    wrap: (service) => (request) => {
      const path = new URL(request.url).pathname
      return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`)
        ? handler(request)
        : service(request)
    },
    close: () => audit.close(),
  }
}
