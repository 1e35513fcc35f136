/**
 * The SSRF guard at connect time: an undici `Agent` whose connector refuses IP literals outside
 * the policy and resolves names with a lookup that refuses the connection unless every address
 * the name resolves to is allowed. The addresses checked are the addresses handed to the
 * socket, so a DNS answer that changes between a check and the connect (DNS rebinding) cannot
 * slip through. Node only.
 *
 * @module
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { AuthError } from '@countersign/core'
import { Agent, buildConnector } from 'undici'
import { type AddressPolicy, classifyAddress, isRangeAllowed } from './classify-address.ts'
import { describeRange, nameRefusal, parseHost } from './parse-host.ts'

/** One resolved address. */
export interface ResolvedAddress {
  /** The IP address as text. */
  address: string
  /** `4` or `6`. */
  family: 4 | 6
}

/**
 * Resolves a host name to every address it has. The default is `dns.lookup` with `all: true`
 * (the system resolver, `/etc/hosts` included); tests inject a stub.
 */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>

/** Options of {@link createGuardedLookup}. */
export interface GuardedLookupOptions extends AddressPolicy {
  /** The resolver. Default: the system resolver (`dns.lookup`, all addresses). */
  resolver?: HostResolver
}

/** Options of {@link createGuardedAgent}. */
export interface GuardedAgentOptions extends GuardedLookupOptions {
  /** How long resolving and connecting may take, in milliseconds. Default 5000. */
  connectTimeoutMs?: number
  /** How long an idle keep-alive connection is kept, in milliseconds. Default 4000. */
  keepAliveTimeoutMs?: number
  /** The most connections per origin. Default 64. */
  connections?: number
}

/** The most addresses a name may resolve to before the answer is refused as abnormal. */
const MAX_ADDRESSES = 64

/** The system resolver: `dns.lookup(hostname, { all: true })` in the resolver's own order. */
export const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, order: 'verbatim' }, (error, addresses: LookupAddress[]) => {
      if (error) {
        reject(error)
      } else {
        resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })))
      }
    })
  })

function forbidden(message: string): AuthError {
  return new AuthError('target_forbidden', message)
}

/**
 * Resolves `hostname` and returns its addresses only if every one of them is allowed by the
 * policy.
 *
 * @throws {@link @countersign/core!AuthError} `target_forbidden` when any address is not allowed, or the answer
 *   is empty or abnormally long; the resolver's own error (such as `ENOTFOUND`) when it fails.
 */
export async function resolveAllowed(
  hostname: string,
  options: GuardedLookupOptions = {},
): Promise<ResolvedAddress[]> {
  const parsed = parseHost(hostname)
  if (parsed.kind === 'invalid') {
    throw forbidden('the target host is not a valid host name')
  }
  if (parsed.kind === 'ip') {
    const { range } = parsed.classification
    if (!isRangeAllowed(range, options)) {
      throw forbidden(`the target host ${parsed.host} is ${describeRange(range)}`)
    }
    return [{ address: parsed.host, family: parsed.classification.family === 6 ? 6 : 4 }]
  }
  const refusal = nameRefusal(parsed, options)
  if (refusal !== undefined) {
    throw forbidden(`the target ${refusal}`)
  }
  const resolver = options.resolver ?? systemResolver
  const answers = await resolver(parsed.host)
  if (!Array.isArray(answers) || answers.length === 0) {
    const error = new Error(`no addresses for ${parsed.host}`) as NodeJS.ErrnoException
    error.code = 'ENOTFOUND'
    throw error
  }
  if (answers.length > MAX_ADDRESSES) {
    throw forbidden(`the target host ${parsed.host} resolves to too many addresses`)
  }
  const out: ResolvedAddress[] = []
  for (const answer of answers) {
    const classification = classifyAddress(String(answer?.address))
    if (!isRangeAllowed(classification.range, options)) {
      throw forbidden(
        `the target host ${parsed.host} resolves to ${classification.address}, which is ${describeRange(classification.range)}`,
      )
    }
    out.push({
      address: classification.address,
      family: classification.family === 6 ? 6 : 4,
    })
  }
  return out
}

/**
 * Creates a `lookup` for `net.connect`/`tls.connect` that resolves with {@link resolveAllowed}:
 * the socket connects only to addresses that were checked, and not at all if any address of
 * the name is refused.
 *
 * @example
 * ```ts
 * const socket = net.connect({ host: 'api.example.com', port: 443, lookup: createGuardedLookup() })
 * ```
 */
export function createGuardedLookup(options: GuardedLookupOptions = {}): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolveAllowed(hostname, options).then(
      (addresses) => {
        const family = lookupOptions.family
        const wanted =
          family === 4 || family === 6 || family === 'IPv4' || family === 'IPv6'
            ? addresses.filter((a) => a.family === (family === 'IPv4' || family === 4 ? 4 : 6))
            : addresses
        const first = wanted[0]
        if (first === undefined) {
          const error = new Error(`no addresses for ${hostname}`) as NodeJS.ErrnoException
          error.code = 'ENOTFOUND'
          callback(error, '', 0)
        } else if (lookupOptions.all === true) {
          callback(null, wanted)
        } else {
          callback(null, first.address, first.family)
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    )
  }
}

/**
 * Creates an undici connector that refuses IP-literal hosts outside the policy before any
 * socket exists and resolves names through {@link createGuardedLookup}.
 */
export function createGuardedConnector(
  options: GuardedAgentOptions = {},
): buildConnector.connector {
  const lookup = createGuardedLookup(options)
  const base = buildConnector({
    timeout: options.connectTimeoutMs ?? 5000,
    lookup,
    allowH2: false,
  })
  return (connectOptions, callback) => {
    const parsed = parseHost(connectOptions.hostname)
    if (parsed.kind === 'invalid') {
      callback(forbidden('the target host is not a valid host name'), null)
      return
    }
    if (parsed.kind === 'ip' && !isRangeAllowed(parsed.classification.range, options)) {
      callback(
        forbidden(
          `the target host ${parsed.host} is ${describeRange(parsed.classification.range)}`,
        ),
        null,
      )
      return
    }
    const refusal = parsed.kind === 'name' ? nameRefusal(parsed, options) : undefined
    if (refusal !== undefined) {
      callback(forbidden(`the target ${refusal}`), null)
      return
    }
    base(connectOptions, callback)
  }
}

/**
 * Creates the undici `Agent` the relay forwards with: every connection goes through
 * {@link createGuardedConnector}, so only allowed addresses are ever connected to.
 *
 * @example
 * ```ts
 * const agent = createGuardedAgent({ connectTimeoutMs: 2000 })
 * const { statusCode } = await request('https://api.example.com/x', { dispatcher: agent })
 * ```
 */
export function createGuardedAgent(options: GuardedAgentOptions = {}): Agent {
  return new Agent({
    connect: createGuardedConnector(options),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
    connections: options.connections ?? 64,
  })
}
