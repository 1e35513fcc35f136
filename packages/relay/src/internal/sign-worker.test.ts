import { generateKeyPair, importKey, type Key, utf8 } from '@countersign/core'
import { describe, expect, it } from 'vitest'
import { createSignWorker, WORKER_SOURCE } from './sign-worker.ts'

const datas = Array.from({ length: 30 }, (_, i) => utf8(`signature base ${i} `.repeat(i + 1)))

/** A key that counts the signatures it made itself (not on the worker). */
function counting(inner: Key): { key: Key; own: () => number } {
  let own = 0
  const key: Key = {
    ...inner,
    publicJwk: () => inner.publicJwk(),
    verify: (d, s) => inner.verify(d, s),
    sign: (data) => {
      own++
      return inner.sign(data)
    },
  }
  return { key, own: () => own }
}

describe('createSignWorker', () => {
  it('signs many Ed25519 bases at once on the worker, each exactly as the key does', async () => {
    const a = await generateKeyPair('ed25519', { keyId: 'a' })
    const b = await generateKeyPair('ed25519', { keyId: 'b' })
    const ka = counting(a.privateKey)
    const kb = counting(b.privateKey)
    const worker = createSignWorker()
    try {
      // 30 in one turn (several batches), alternating two keys (rotation overlap).
      const signatures = await Promise.all(
        datas.map((data, i) => worker.sign(i % 2 === 0 ? ka.key : kb.key, data)),
      )
      datas.forEach((data, i) => {
        const pair = i % 2 === 0 ? a : b
        expect(signatures[i]).toBeInstanceOf(Uint8Array)
        expect(signatures[i]).toEqual(pair.privateKey.signSync!(data)) // Ed25519 is deterministic
        expect(pair.publicKey.verifySync!(data, signatures[i]!)).toBe(true)
      })
      expect(ka.own() + kb.own()).toBe(0) // none signed on this thread
      // Later turns reuse the keys the worker already holds.
      expect(await worker.sign(kb.key, datas[3]!)).toEqual(b.privateKey.signSync!(datas[3]!))
    } finally {
      await worker.close()
    }
  })

  it('leaves other keys to key.sign', async () => {
    const worker = createSignWorker()
    try {
      const es = await generateKeyPair('ecdsa-p256-sha256')
      const hmac = await importKey(utf8('a shared secret of at least 32 bytes!!'), {
        algorithm: 'hmac-sha256',
      })
      const edPublic = (await generateKeyPair('ed25519')).publicKey
      for (const inner of [es.privateKey, hmac]) {
        const k = counting(inner)
        const signature = await worker.sign(k.key, datas[0]!)
        expect(k.own()).toBe(1)
        expect(await inner.verify(datas[0]!, signature)).toBe(true)
      }
      await expect(worker.sign(edPublic, datas[0]!)).rejects.toThrow(TypeError)
    } finally {
      await worker.close()
    }
  })

  it('settles every pending signature when closed, and signs with key.sign afterwards', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ed25519')
    const k = counting(privateKey)
    const worker = createSignWorker()
    await worker.sign(k.key, datas[0]!) // the worker is running
    const pending = datas.map((data) => worker.sign(k.key, data))
    await worker.close()
    const settled = await Promise.allSettled(pending)
    for (const [i, result] of settled.entries()) {
      if (result.status === 'fulfilled') {
        expect(publicKey.verifySync!(datas[i]!, result.value)).toBe(true)
      } else {
        expect(String(result.reason)).toMatch(/signing worker stopped/)
      }
    }
    const before = k.own()
    const after = await worker.sign(k.key, datas[1]!)
    expect(k.own()).toBe(before + 1)
    expect(publicKey.verifySync!(datas[1]!, after)).toBe(true)
  })

  it('fails the signatures a dying worker held and starts a new one', async () => {
    // The real worker, except that a one-byte base makes it exit.
    const dies = WORKER_SOURCE.replace(
      'const { batch, ids, data } = message',
      'const { batch, ids, data } = message\n  if (data[0].length === 1) process.exit(1)',
    )
    expect(dies).not.toBe(WORKER_SOURCE)
    const { privateKey, publicKey } = await generateKeyPair('ed25519')
    const worker = createSignWorker(dies)
    try {
      expect(publicKey.verifySync!(datas[2]!, await worker.sign(privateKey, datas[2]!))).toBe(true)
      await expect(worker.sign(privateKey, Uint8Array.of(1))).rejects.toThrow(
        /signing worker stopped/,
      )
      // A new worker, which is sent the key again.
      const again = await worker.sign(privateKey, datas[4]!)
      expect(again).toEqual(privateKey.signSync!(datas[4]!))
    } finally {
      await worker.close()
    }
  })

  it('reports a failed signature without stopping the others', async () => {
    // The real worker, except that a base starting with 0xff cannot be signed.
    const fails = WORKER_SOURCE.replace(
      'out[i] = sign(null, data[i], keys.get(ids[i]))',
      'if (data[i][0] === 0xff) throw new Error("no")\n      out[i] = sign(null, data[i], keys.get(ids[i]))',
    )
    expect(fails).not.toBe(WORKER_SOURCE)
    const { privateKey } = await generateKeyPair('ed25519')
    const worker = createSignWorker(fails)
    try {
      const results = await Promise.allSettled([
        worker.sign(privateKey, datas[0]!),
        worker.sign(privateKey, Uint8Array.of(0xff, 1, 2)),
        worker.sign(privateKey, datas[1]!),
      ])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/ed25519 signing failed/)
    } finally {
      await worker.close()
    }
  })
})
