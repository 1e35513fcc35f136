/**
 * IP address classification for the relay's SSRF guard, with `ipaddr.js` (which parses every
 * spelling of an address and names the special-purpose range it belongs to). Only public
 * unicast addresses are allowed by default; everything else has a named range so that refusals
 * can say why.
 *
 * @module
 */
import ipaddr from 'ipaddr.js'

/**
 * The range an IP address belongs to. `public` is the only one the relay connects to by
 * default; {@link AddressPolicy.allowPrivateNetwork} adds `loopback`, `private`, `uniqueLocal`
 * and `carrierGradeNat`. Everything else is always refused.
 */
export type AddressRange =
  | 'public'
  | 'loopback'
  | 'private'
  | 'uniqueLocal'
  | 'carrierGradeNat'
  | 'linkLocal'
  | 'metadata'
  | 'siteLocal'
  | 'unspecified'
  | 'broadcast'
  | 'multicast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'teredo'
  | 'ipv4Compatible'
  | 'ipv4Translated'
  | 'nat64Local'
  | 'discard'
  | 'nonGlobal'
  | 'invalid'

/** The outcome of {@link classifyAddress}. */
export interface AddressClassification {
  /** The address in canonical form (`127.0.0.1`, `::ffff:a00:1`), or the input when invalid. */
  address: string
  /** `4` or `6`; `0` when the input is not an IP address. */
  family: 0 | 4 | 6
  /**
   * The range. For an address that embeds an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64
   * `64:ff9b::/96`, 6to4 `2002::/16`), the range of the embedded address.
   */
  range: AddressRange
  /** The embedded IPv4 address, when the range was decided by one. */
  embedded?: string
}

/** Which addresses may be connected to. */
export interface AddressPolicy {
  /**
   * Also allow loopback, RFC 1918 private, unique-local (`fc00::/7`) and CGNAT (`100.64/10`)
   * addresses. Cloud metadata addresses, link-local, unspecified, multicast, broadcast and the
   * reserved ranges stay refused. Default `false`.
   */
  allowPrivateNetwork?: boolean
}

/** Ranges that `allowPrivateNetwork: true` opens up. */
const PRIVATE_NETWORK_RANGES: ReadonlySet<AddressRange> = new Set([
  'loopback',
  'private',
  'uniqueLocal',
  'carrierGradeNat',
])

/** Cloud instance-metadata endpoints, refused even with `allowPrivateNetwork`. */
const METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  '169.254.170.2', // AWS ECS task metadata
  '169.254.169.253', // AWS DNS resolver
  '169.254.169.123', // AWS time sync
  '100.100.100.200', // Alibaba Cloud
  'fd00:ec2::254', // AWS IMDS over IPv6
  'fd00:ec2::23', // AWS IPv6 DNS
  'fd20:ce::254', // GCP IPv6 metadata
])

const V4_NAMED: ReadonlyArray<[ipaddr.IPv4, number, AddressRange]> = [
  [ipaddr.IPv4.parse('192.0.2.0'), 24, 'documentation'],
  [ipaddr.IPv4.parse('198.51.100.0'), 24, 'documentation'],
  [ipaddr.IPv4.parse('203.0.113.0'), 24, 'documentation'],
  [ipaddr.IPv4.parse('198.18.0.0'), 15, 'benchmarking'],
]

const V6_GLOBAL_UNICAST: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3]
const V6_DOCUMENTATION: ReadonlyArray<[ipaddr.IPv6, number]> = [
  [ipaddr.IPv6.parse('2001:db8::'), 32],
  [ipaddr.IPv6.parse('3fff::'), 20],
]
const V6_NAT64_WELL_KNOWN: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('64:ff9b::'), 96]
const V6_IPV4_COMPATIBLE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 96]

function classifyV4(ip: ipaddr.IPv4): AddressRange {
  const canonical = ip.toString()
  if (METADATA_ADDRESSES.has(canonical)) {
    return 'metadata'
  }
  for (const [base, bits, name] of V4_NAMED) {
    if (ip.match(base, bits)) {
      return name
    }
  }
  const range = ip.range()
  switch (range) {
    case 'unicast':
      return 'public'
    case 'unspecified':
    case 'broadcast':
    case 'multicast':
    case 'linkLocal':
    case 'loopback':
    case 'carrierGradeNat':
    case 'private':
      return range
    default:
      // reserved, as112, amt and any range a later ipaddr.js adds.
      return 'reserved'
  }
}

function embeddedV4(ip: ipaddr.IPv6, offset: number): ipaddr.IPv4 {
  const bytes = ip.toByteArray()
  return new ipaddr.IPv4(bytes.slice(offset, offset + 4))
}

function classifyV6(ip: ipaddr.IPv6): { range: AddressRange; embedded?: ipaddr.IPv4 } {
  if (METADATA_ADDRESSES.has(ip.toString())) {
    return { range: 'metadata' }
  }
  // ipaddr.js's type lists fewer ranges than its code returns ('discard', 'deprecatedSiteLocal').
  const range: string = ip.range()
  switch (range) {
    case 'ipv4Mapped': {
      const v4 = ip.toIPv4Address()
      return { range: classifyV4(v4), embedded: v4 }
    }
    case 'rfc6052': {
      if (ip.match(V6_NAT64_WELL_KNOWN)) {
        const v4 = embeddedV4(ip, 12)
        return { range: classifyV4(v4), embedded: v4 }
      }
      return { range: 'nat64Local' }
    }
    case '6to4': {
      const v4 = embeddedV4(ip, 2)
      return { range: classifyV4(v4), embedded: v4 }
    }
    case 'unspecified':
    case 'linkLocal':
    case 'multicast':
    case 'loopback':
    case 'uniqueLocal':
    case 'teredo':
    case 'benchmarking':
    case 'discard':
      return { range: range as AddressRange }
    case 'rfc6145':
      return { range: 'ipv4Translated' }
    case 'deprecatedSiteLocal':
      return { range: 'siteLocal' }
    case 'reserved':
      return {
        range: V6_DOCUMENTATION.some((r) => ip.match(r)) ? 'documentation' : 'reserved',
      }
    case 'unicast':
      if (ip.match(V6_IPV4_COMPATIBLE)) {
        return { range: 'ipv4Compatible' }
      }
      // Only 2000::/3 is allocated as global unicast; the rest of the space is unassigned.
      return { range: ip.match(V6_GLOBAL_UNICAST) ? 'public' : 'nonGlobal' }
    default:
      // orchid, amt, as112v6, segment routing, drone ids and any range a later ipaddr.js adds.
      return { range: 'reserved' }
  }
}

/**
 * Parses IPv6 text the way the operating system will: `ipaddr.js` reads the deprecated
 * IPv4-compatible form `::a.b.c.d` as IPv4-mapped, so the text is first brought to canonical
 * hex by the WHATWG URL parser (`::8.8.8.8` becomes `::808:808`). A zone id is dropped: it
 * does not change the range.
 */
function parseV6(text: string): ipaddr.IPv6 {
  const zone = text.indexOf('%')
  const bare = zone === -1 ? text : text.slice(0, zone)
  const canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1)
  return ipaddr.IPv6.parse(canonical)
}

/**
 * Classifies an IP address given as text. Every IPv4 spelling `ipaddr.js` accepts is
 * understood (dotted decimal, and the `inet_aton` forms `2130706433`, `0177.0.0.1`, `0x7f.1`,
 * `127.1`), as is every IPv6 form, bracketed or not, with or without a zone id. IPv4-mapped,
 * NAT64 and 6to4 addresses are classified by the IPv4 address they embed.
 *
 * @example
 * ```ts
 * classifyAddress('::ffff:10.0.0.1') // { address: '::ffff:a00:1', family: 6, range: 'private', embedded: '10.0.0.1' }
 * classifyAddress('2130706433').range // 'loopback'
 * ```
 */
export function classifyAddress(address: string): AddressClassification {
  if (typeof address !== 'string') {
    throw new TypeError(`expected address to be a string, got ${typeof address}`)
  }
  let text = address
  if (text.startsWith('[') && text.endsWith(']')) {
    text = text.slice(1, -1)
  }
  if (text.length === 0 || text.length > 64 || !/^[0-9A-Za-z.:%_-]+$/.test(text)) {
    return { address, family: 0, range: 'invalid' }
  }
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = text.includes(':') ? parseV6(text) : ipaddr.IPv4.parse(text)
  } catch {
    return { address, family: 0, range: 'invalid' }
  }
  if (parsed.kind() === 'ipv4') {
    const v4 = parsed as ipaddr.IPv4
    return { address: v4.toString(), family: 4, range: classifyV4(v4) }
  }
  const v6 = parsed as ipaddr.IPv6
  const { range, embedded } = classifyV6(v6)
  return {
    address: v6.toString(),
    family: 6,
    range,
    ...(embedded === undefined ? {} : { embedded: embedded.toString() }),
  }
}

/**
 * Whether a range may be connected to under `policy`: `public` always; `loopback`, `private`,
 * `uniqueLocal` and `carrierGradeNat` only with `allowPrivateNetwork`; nothing else, ever.
 */
export function isRangeAllowed(range: AddressRange, policy: AddressPolicy = {}): boolean {
  if (range === 'public') {
    return true
  }
  return policy.allowPrivateNetwork === true && PRIVATE_NETWORK_RANGES.has(range)
}

/**
 * Whether the relay may connect to `address` under `policy` (see {@link isRangeAllowed}).
 * Anything that is not an IP address is refused.
 *
 * @example
 * ```ts
 * isAddressAllowed('93.184.215.14') // true
 * isAddressAllowed('127.0.0.1') // false
 * isAddressAllowed('127.0.0.1', { allowPrivateNetwork: true }) // true
 * isAddressAllowed('169.254.169.254', { allowPrivateNetwork: true }) // false: metadata
 * ```
 */
export function isAddressAllowed(address: string, policy: AddressPolicy = {}): boolean {
  return isRangeAllowed(classifyAddress(address).range, policy)
}
