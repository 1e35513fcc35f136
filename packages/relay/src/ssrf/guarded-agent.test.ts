import type { LookupAddress } from 'node:dns'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countingResolver, startServer, type TestServer } from '../test-kit.ts'
import {
  createGuardedAgent,
  createGuardedLookup,
  type HostResolver,
  resolveAllowed,
} from './guarded-agent.ts'

function lookupOnce(
  resolver: HostResolver,
  hostname: string,
  options: { all?: boolean; family?: number } = { all: true },
  policy = {},
): Promise<{ error: NodeJS.ErrnoException | null; result: unknown }> {
  const lookup = createGuardedLookup({ resolver, ...policy })
  return new Promise((resolve) => {
    lookup(hostname, options, (error, address, family) => {
      resolve({ error, result: options.all === true ? address : [address, family] })
    })
  })
}

describe('resolveAllowed and the guarded lookup', () => {
  it('refuses a name when any one of its addresses is not public, before any socket exists', async () => {
    // The public address comes first: a guard that checked only the first answer would pass it.
    const { resolver, calls } = countingResolver({ 'mixed.example': ['8.8.8.8', '127.0.0.1'] })
    const { error } = await lookupOnce(resolver, 'mixed.example')
    expect(error).toMatchObject({ code: 'target_forbidden', status: 403 })
    expect(error?.message).toContain('127.0.0.1')
    expect(calls).toEqual(['mixed.example'])
  })

  it.each([
    ['169.254.169.254'],
    ['::ffff:10.0.0.1'],
    ['fd00:ec2::254'],
    ['0.0.0.0'],
    ['::'],
    ['64:ff9b::a9fe:a9fe'],
    ['not-an-ip'],
  ])('refuses a name that resolves to %s', async (address) => {
    const { resolver } = countingResolver({ 'evil.example': [address] })
    await expect(resolveAllowed('evil.example', { resolver })).rejects.toMatchObject({
      code: 'target_forbidden',
    })
  })

  it('hands net.connect exactly the addresses it checked (no second resolution to rebind)', async () => {
    let call = 0
    // A rebinding resolver: public on the first query, loopback on every later one.
    const rebinding: HostResolver = async () => {
      call++
      return call === 1
        ? [{ address: '8.8.4.4', family: 4 }]
        : [{ address: '127.0.0.1', family: 4 }]
    }
    const first = await lookupOnce(rebinding, 'rebind.example')
    expect(first.error).toBeNull()
    expect(first.result).toEqual([{ address: '8.8.4.4', family: 4 }])
    const second = await lookupOnce(rebinding, 'rebind.example')
    expect(second.error).toMatchObject({ code: 'target_forbidden' })
    expect(call).toBe(2)
  })

  it('answers the single-address form and filters by family', async () => {
    const { resolver } = countingResolver({ 'dual.example': ['2606:4700::1', '1.1.1.1'] })
    const single = await lookupOnce(resolver, 'dual.example', {})
    expect(single.result).toEqual(['2606:4700::1', 6])
    const v4 = await lookupOnce(resolver, 'dual.example', { all: true, family: 4 })
    expect(v4.result).toEqual([{ address: '1.1.1.1', family: 4 }] satisfies LookupAddress[])
  })

  it('refuses localhost names without asking the resolver, and IP literals by range', async () => {
    const { resolver, calls } = countingResolver({})
    for (const host of ['localhost', 'localhost.', 'api.localhost', '127.0.0.1', '::1', '0x7f.1']) {
      await expect(resolveAllowed(host, { resolver }), host).rejects.toMatchObject({
        code: 'target_forbidden',
      })
    }
    expect(calls).toEqual([])
  })

  it('passes resolver failures through (ENOTFOUND), and refuses absurdly long answers', async () => {
    const { resolver } = countingResolver({})
    await expect(resolveAllowed('missing.example', { resolver })).rejects.toMatchObject({
      code: 'ENOTFOUND',
    })
    const many: HostResolver = async () =>
      Array.from({ length: 100 }, (_, i) => ({ address: `8.8.${i}.1`, family: 4 as const }))
    await expect(resolveAllowed('many.example', { resolver: many })).rejects.toMatchObject({
      code: 'target_forbidden',
    })
  })
})

describe('createGuardedAgent', () => {
  let canary: TestServer
  beforeAll(async () => {
    canary = await startServer((_req, res) => res.end('canary'))
  })
  afterAll(async () => {
    await canary.close()
  })

  it('refuses loopback literals and names resolving to loopback without connecting', async () => {
    const { resolver, calls } = countingResolver({ 'inside.example': ['127.0.0.1'] })
    const agent = createGuardedAgent({ resolver })
    try {
      for (const url of [
        `http://127.0.0.1:${canary.port}/`,
        `http://[::1]:${canary.port}/`,
        `http://[::ffff:127.0.0.1]:${canary.port}/`,
        `http://localhost:${canary.port}/`,
        `http://inside.example:${canary.port}/`,
      ]) {
        await expect(request(url, { dispatcher: agent }), url).rejects.toMatchObject({
          code: 'target_forbidden',
        })
      }
      expect(calls).toEqual(['inside.example'])
      expect(canary.connections()).toBe(0)
    } finally {
      await agent.close()
    }
  })

  it('connects to loopback with allowPrivateNetwork, through the stub resolver', async () => {
    const { resolver, calls } = countingResolver({ 'inside.example': ['127.0.0.1'] })
    const agent = createGuardedAgent({ resolver, allowPrivateNetwork: true })
    try {
      const response = await request(`http://inside.example:${canary.port}/`, { dispatcher: agent })
      expect(response.statusCode).toBe(200)
      expect(await response.body.text()).toBe('canary')
      expect(calls).toEqual(['inside.example'])
      expect(canary.connections()).toBe(1)
    } finally {
      await agent.close()
    }
  })
})
