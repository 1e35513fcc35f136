import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { classifyAddress, isAddressAllowed } from './classify-address.ts'
import { hostRefusal, parseHost } from './parse-host.ts'

describe('classifyAddress', () => {
  const refused: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['2130706433', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['127.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['169.254.0.1', 'linkLocal'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['0:0:0:0:0:ffff:192.168.0.1', 'private'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::8.8.8.8', 'ipv4Compatible'],
    ['::7f00:1', 'ipv4Compatible'],
    ['::ffff:0:10.0.0.1', 'ipv4Translated'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456:789a::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fec0::1', 'siteLocal'],
    ['ff02::1', 'multicast'],
    ['2001::1', 'teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:2::1', 'benchmarking'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:a00:1::', 'private'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['64:ff9b:1::1', 'nat64Local'],
    ['100::1', 'discard'],
    ['4000::1', 'nonGlobal'],
    ['5f00::1', 'reserved'],
  ]

  it.each(refused)('refuses %s (%s)', (address, range) => {
    const result = classifyAddress(address)
    expect(result.range).toBe(range)
    expect(isAddressAllowed(address)).toBe(false)
  })

  it('canonicalises the address it classified', () => {
    expect(classifyAddress('0x7f.1')).toEqual({
      address: '127.0.0.1',
      family: 4,
      range: 'loopback',
    })
    expect(classifyAddress('::ffff:10.0.0.1')).toMatchObject({
      address: '::ffff:a00:1',
      family: 6,
      range: 'private',
      embedded: '10.0.0.1',
    })
  })

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
  ])('allows the public unicast address %s', (address) => {
    expect(classifyAddress(address).range).toBe('public')
    expect(isAddressAllowed(address)).toBe(true)
  })

  it('opens loopback, private, unique-local and CGNAT with allowPrivateNetwork, never metadata', () => {
    const policy = { allowPrivateNetwork: true }
    for (const address of [
      '127.0.0.1',
      '::1',
      '10.1.2.3',
      '192.168.0.1',
      'fd12::1',
      '100.64.1.1',
    ]) {
      expect(isAddressAllowed(address, policy), address).toBe(true)
    }
    for (const address of [
      '169.254.169.254',
      'fd00:ec2::254',
      '100.100.100.200',
      '169.254.1.1',
      'fe80::1',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      '255.255.255.255',
      '192.0.2.1',
      '::127.0.0.1',
    ]) {
      expect(isAddressAllowed(address, policy), address).toBe(false)
    }
  })

  it('treats anything that is not an IP address as invalid', () => {
    for (const text of [
      '',
      'localhost',
      '1.2.3.4.5',
      '256.1.1.1',
      '08.1.1.1',
      'a'.repeat(100),
      '1.1.1.1 ',
      '::g',
    ]) {
      expect(classifyAddress(text).range).toBe('invalid')
      expect(isAddressAllowed(text)).toBe(false)
    }
  })

  it('never throws and never allows an address that parses as a private IPv4 inside IPv6', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const direct = classifyAddress(v4)
        const mapped = classifyAddress(`::ffff:${v4}`)
        expect(mapped.range).toBe(direct.range)
        const nat64 = classifyAddress(`64:ff9b::${v4}`)
        expect(nat64.range).toBe(direct.range)
      }),
    )
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(() => classifyAddress(text)).not.toThrow()
      }),
    )
  })
})

describe('parseHost', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0x7F.0x0.0x0.0x1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
  ])('reads %s as the IP literal %s', (host, canonical) => {
    const parsed = parseHost(host)
    expect(parsed.kind).toBe('ip')
    expect(parsed.host).toBe(canonical)
  })

  it.each([
    ['localhost', true],
    ['localhost.', true],
    ['LOCALHOST', true],
    ['api.localhost', true],
    ['api.localhost.', true],
    ['api.example.com', false],
    ['API.Example.COM.', false],
  ])('reads %s as a name (localhost: %s)', (host, localhost) => {
    const parsed = parseHost(host)
    expect(parsed).toMatchObject({ kind: 'name', localhost })
    expect(parsed.host.endsWith('.')).toBe(false)
  })

  it.each([
    '',
    'a b',
    'host/path',
    'user@host',
    'host:80',
    'host?x',
    'host#x',
    '[::1',
    '1.2.3.4.5',
    'a..b',
    '\\\\host',
  ])('refuses %j', (host) => {
    expect(parseHost(host).kind).toBe('invalid')
  })

  it('says why a host is refused', () => {
    expect(hostRefusal('169.254.169.254')).toBe('host 169.254.169.254 is a cloud metadata address')
    expect(hostRefusal('0x7f.1')).toBe('host 127.0.0.1 is a loopback address')
    expect(hostRefusal('localhost.')).toBe('host localhost is a loopback name')
    expect(hostRefusal('localhost', { allowPrivateNetwork: true })).toBeUndefined()
    expect(hostRefusal('api.example.com')).toBeUndefined()
  })
})
