import { type RunningRedisCluster, startRedisCluster } from '@countersign/testkit/redis-cluster.ts'
import { runStoreContract } from '@countersign/testkit/store-contract.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisStore } from './redis.ts'

// One real cluster (3 masters, 3 replicas) for the whole file, owned and stopped here.
let cluster: RunningRedisCluster
let stores = 0
beforeAll(async () => {
  cluster = await startRedisCluster()
}, 60_000)
afterAll(() => cluster?.stop())

const newStore = () =>
  createRedisStore({ cluster: { rootNodes: cluster.urls.slice(0, 3) }, prefix: `c${stores++}` })

runStoreContract('redis cluster', newStore)

describe('redis store on a cluster', () => {
  it('spreads keys over the masters and lists them from every one', {
    timeout: 30_000,
  }, async () => {
    const store = await newStore()
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `item:${i}`)
      for (const key of keys) {
        await store.set(key, key)
      }
      const prefix = `c${stores - 1}`
      const owners = await Promise.all(keys.map((k) => cluster.masterPortOf(`${prefix}:{k:${k}}`)))
      expect(new Set(owners).size).toBe(3)
      // Really on the cluster, each on the master that owns its slot.
      for (const [i, k] of keys.entries()) {
        expect((await cluster.cli(owners[i]!, 'exists', `${prefix}:{k:${k}}`)).trim()).toBe('1')
      }
      const listed = await store.list('item:', { limit: 100 })
      expect(listed.map((e) => e.key).sort()).toEqual([...keys].sort())
    } finally {
      await store.close()
    }
  })

  it('keeps every key of one rate-limit counter in one slot, whatever the key holds', async () => {
    const store = await newStore()
    try {
      // Braces in the key must not move the counter's keys apart (CROSSSLOT otherwise).
      for (const key of ['}', '{', 'a}b', '{x}', 'y}{z', '}}{{']) {
        const first = await store.hit(key, { limit: 2, windowMs: 60_000 })
        const second = await store.hit(key, { limit: 2, windowMs: 60_000 })
        const third = await store.hit(key, { limit: 2, windowMs: 60_000 })
        expect([first.allowed, second.allowed, third.allowed]).toEqual([true, true, false])
      }
    } finally {
      await store.close()
    }
  })

  it('rejects cluster options it cannot use, without echoing URLs', async () => {
    const secret = 'redis://user:hunter2@[::1'
    await expect(createRedisStore({ cluster: { rootNodes: [secret] } })).rejects.toThrow(
      /^options\.cluster\.rootNodes holds an invalid Redis URL$/,
    )
    await expect(createRedisStore({ cluster: { rootNodes: [] } })).rejects.toThrow(TypeError)
    await expect(
      createRedisStore({ cluster: { rootNodes: 'redis://x' as unknown as string[] } }),
    ).rejects.toThrow(TypeError)
    await expect(
      createRedisStore({ cluster: { rootNodes: cluster.urls }, url: cluster.urls[0] }),
    ).rejects.toThrow(/cannot be combined/)
  })
})
