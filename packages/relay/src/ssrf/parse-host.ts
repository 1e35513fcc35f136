/**
 * Host parsing for the SSRF guard: a host string is brought to the form the WHATWG URL parser
 * (and so every HTTP client) gives it, which turns the `inet_aton` spellings of IPv4
 * (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) into dotted decimal, then classified as an
 * IP literal or a name. `localhost`, `*.localhost` and their trailing-dot forms are named as
 * such, because resolvers answer them without DNS.
 *
 * @module
 */
import { hasControlCharacter } from '../internal/text.ts'
import {
  type AddressClassification,
  type AddressPolicy,
  classifyAddress,
  isRangeAllowed,
} from './classify-address.ts'

/** A host that is an IP literal. */
export interface IpHost {
  /** `'ip'`. */
  kind: 'ip'
  /** The address, canonical and without brackets (`127.0.0.1`, `::1`). */
  host: string
  /** Its classification. */
  classification: AddressClassification
}

/** A host that is a DNS name. */
export interface NameHost {
  /** `'name'`. */
  kind: 'name'
  /** The name, lowercased and punycoded, without a trailing dot. */
  host: string
  /** Whether the name is `localhost` or ends in `.localhost` (RFC 6761: always loopback). */
  localhost: boolean
}

/** A host that does not parse. */
export interface InvalidHost {
  /** `'invalid'`. */
  kind: 'invalid'
  /** The input. */
  host: string
}

/** The outcome of {@link parseHost}. */
export type ParsedHost = IpHost | NameHost | InvalidHost

const MAX_HOST_LENGTH = 255
// Anything that would make `http://${host}/` mean more than a host: userinfo, a port, a path,
// a query, a fragment, whitespace or controls.
const NOT_A_HOST = /[\s/\\?#@]/
const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

/**
 * Parses a host (a URL's `hostname`, a `Host` header without its port, or a name from
 * configuration): bracketed or bare IPv6, every IPv4 spelling, or a DNS name.
 *
 * @example
 * ```ts
 * parseHost('0x7f.1') // { kind: 'ip', host: '127.0.0.1', classification: { range: 'loopback', … } }
 * parseHost('LOCALHOST.') // { kind: 'name', host: 'localhost', localhost: true }
 * parseHost('[::ffff:10.0.0.1]').classification.range // 'private'
 * ```
 */
export function parseHost(host: string): ParsedHost {
  if (typeof host !== 'string') {
    throw new TypeError(`expected host to be a string, got ${typeof host}`)
  }
  if (
    host.length === 0 ||
    host.length > MAX_HOST_LENGTH ||
    NOT_A_HOST.test(host) ||
    hasControlCharacter(host)
  ) {
    return { kind: 'invalid', host }
  }
  if (host.startsWith('[') || host.includes(':')) {
    const inner = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
    const classification = classifyAddress(inner)
    if (classification.family !== 6) {
      return { kind: 'invalid', host }
    }
    return { kind: 'ip', host: classification.address, classification }
  }
  let hostname: string
  try {
    const url = new URL(`http://${host}/`)
    if (url.port !== '' || url.username !== '' || url.password !== '' || url.pathname !== '/') {
      return { kind: 'invalid', host }
    }
    hostname = url.hostname
  } catch {
    return { kind: 'invalid', host }
  }
  if (DOTTED_QUAD.test(hostname)) {
    const classification = classifyAddress(hostname)
    if (classification.family !== 4) {
      return { kind: 'invalid', host }
    }
    return { kind: 'ip', host: classification.address, classification }
  }
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname
  if (name.length === 0 || name.startsWith('.') || name.includes('..')) {
    return { kind: 'invalid', host }
  }
  return {
    kind: 'name',
    host: name,
    localhost: name === 'localhost' || name.endsWith('.localhost'),
  }
}

/**
 * Why the relay must not connect to `host` under `policy`, or `undefined` when nothing about
 * the host itself forbids it (a name still has every address it resolves to checked at connect
 * time).
 *
 * @example
 * ```ts
 * hostRefusal('169.254.169.254') // 'host 169.254.169.254 is a cloud metadata address'
 * hostRefusal('api.example.com') // undefined
 * ```
 */
export function hostRefusal(host: string, policy: AddressPolicy = {}): string | undefined {
  const parsed = parseHost(host)
  switch (parsed.kind) {
    case 'invalid':
      return 'host is not a valid host name or IP address'
    case 'ip': {
      const { range } = parsed.classification
      return isRangeAllowed(range, policy)
        ? undefined
        : `host ${parsed.host} is ${describeRange(range)}`
    }
    case 'name':
      return nameRefusal(parsed, policy)
  }
}

/** Cloud metadata service names (GCP, AWS, Tencent, Equinix), refused under every policy. */
const METADATA_NAMES: ReadonlySet<string> = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
  'metadata.packet.net',
])
const METADATA_LABELS: ReadonlySet<string> = new Set(['metadata', 'instance-data'])
/** Suffixes of names that only resolve inside a private network (RFC 6762, RFC 8375, ICANN). */
const PRIVATE_SUFFIXES = ['.internal', '.local', '.localdomain', '.home.arpa', '.lan', '.intranet']

/**
 * Why the relay must not connect to the DNS name `parsed` under `policy`: a cloud metadata
 * name (always), a loopback name, a single-label name (completed by the resolver's search
 * list) or a private-network name such as `*.internal` (unless `allowPrivateNetwork`).
 *
 * @example
 * ```ts
 * nameRefusal(parseHost('Metadata.Google.Internal.') as NameHost) // '… is a cloud metadata name'
 * ```
 */
export function nameRefusal(parsed: NameHost, policy: AddressPolicy = {}): string | undefined {
  const name = parsed.host
  const firstLabel = name.split('.', 1)[0] as string
  if (
    METADATA_NAMES.has(name) ||
    (METADATA_LABELS.has(firstLabel) && PRIVATE_SUFFIXES.some((s) => name.endsWith(s)))
  ) {
    return `host ${name} is a cloud metadata name`
  }
  if (policy.allowPrivateNetwork === true) {
    return undefined
  }
  if (parsed.localhost) {
    return `host ${name} is a loopback name`
  }
  if (!name.includes('.')) {
    return `host ${name} is a single-label (private network) name`
  }
  if (PRIVATE_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
    return `host ${name} is a private network name`
  }
  return undefined
}

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  uniqueLocal: 'a unique-local IPv6 address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  linkLocal: 'a link-local address',
  metadata: 'a cloud metadata address',
  siteLocal: 'a site-local IPv6 address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
  teredo: 'a Teredo address',
  ipv4Compatible: 'an IPv4-compatible IPv6 address',
  ipv4Translated: 'an IPv4-translated IPv6 address',
  nat64Local: 'a local-use NAT64 address',
  discard: 'a discard-only address',
  nonGlobal: 'not a global unicast address',
  invalid: 'not an IP address',
}

/** Words for a range in an error message, e.g. `a loopback address`. */
export function describeRange(range: string): string {
  return RANGE_WORDS[range] ?? `a non-public address (${range})`
}
