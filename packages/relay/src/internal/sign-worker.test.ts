import { generateKeyPair, importKey, type Key, utf8 } from '@countersign/core'
import { describe, expect, it } from 'vitest'
import { createSignWorker, MAX_PENDING, WORKER_SOURCE } from './sign-worker.ts'

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

  it('signs on this thread what would queue past the cap, and the rest on the worker', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ed25519')
    let inline = 0
    const key: Key = {
      ...privateKey,
      publicJwk: () => privateKey.publicJwk(),
      verify: (d, s) => privateKey.verify(d, s),
      sign: (d) => privateKey.sign(d),
      signSync: (d) => {
        inline++
        return privateKey.signSync!(d)
      },
    }
    const worker = createSignWorker()
    try {
      const many = Array.from({ length: MAX_PENDING + 20 }, (_, i) => utf8(`base ${i}`))
      const signatures = await Promise.all(many.map((data) => worker.sign(key, data)))
      expect(inline).toBe(20)
      many.forEach((data, i) => {
        expect(publicKey.verifySync!(data, signatures[i]!)).toBe(true)
      })
      // Once the worker has answered, signatures go to it again.
      await worker.sign(key, many[0]!)
      expect(inline).toBe(20)
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

  it('finishes every pending signature when closed, and signs with key.sign afterwards', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ed25519')
    const k = counting(privateKey)
    const worker = createSignWorker()
    await worker.sign(k.key, datas[0]!) // the worker is running
    const pending = datas.map((data) => worker.sign(k.key, data))
    await worker.close()
    const signatures = await Promise.all(pending)
    datas.forEach((data, i) => {
      expect(publicKey.verifySync!(data, signatures[i]!)).toBe(true)
    })
    const before = k.own()
    const after = await worker.sign(k.key, datas[1]!)
    expect(k.own()).toBe(before + 1)
    expect(publicKey.verifySync!(datas[1]!, after)).toBe(true)
  })

  it('does the work of a dying worker on this thread and starts a new worker', async () => {
    // The real worker, except that a one-byte base makes it exit.
    const dies = WORKER_SOURCE.replace(
      'const { batch, ids, data, signatures } = message',
      'const { batch, ids, data, signatures } = message\n  if (data[0].length === 1) process.exit(1)',
    )
    expect(dies).not.toBe(WORKER_SOURCE)
    const { privateKey, publicKey } = await generateKeyPair('ed25519')
    const k = counting(privateKey)
    const worker = createSignWorker(dies)
    try {
      expect(publicKey.verifySync!(datas[2]!, await worker.sign(k.key, datas[2]!))).toBe(true)
      expect(k.own()).toBe(0)
      const poison = Uint8Array.of(1)
      const [a, b] = await Promise.all([
        worker.sign(k.key, poison),
        worker.verify(publicKey, poison, privateKey.signSync!(poison)),
      ])
      expect(a).toEqual(privateKey.signSync!(poison)) // signed here after the worker died
      expect(b).toBe(true)
      expect(k.own()).toBe(1)
      // A new worker, which is sent the key again.
      expect(await worker.sign(k.key, datas[4]!)).toEqual(privateKey.signSync!(datas[4]!))
      expect(k.own()).toBe(1)
    } finally {
      await worker.close()
    }
  })

  it('reports a failed signature without stopping the others', async () => {
    // The real worker, except that a base starting with 0xff cannot be signed.
    const fails = WORKER_SOURCE.replace(
      'out[i] = signatures === undefined',
      'if (data[i].charCodeAt(0) === 0xff) throw new Error("no")\n      out[i] = signatures === undefined',
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

  it('verifies on the worker exactly as the key does', async () => {
    const a = await generateKeyPair('ed25519', { keyId: 'a' })
    const b = await generateKeyPair('ed25519', { keyId: 'b' })
    const worker = createSignWorker()
    try {
      const trials = datas.flatMap((data, i) => {
        const signature = a.privateKey.signSync!(data)
        const flipped = signature.slice()
        flipped[i % 64]! ^= 1
        return [
          [a.publicKey, data, signature],
          [a.privateKey, data, signature], // a private key verifies with its public half
          [b.publicKey, data, signature], // the wrong key
          [a.publicKey, data, flipped],
          [a.publicKey, data, signature.subarray(1)], // wrong length
          [a.publicKey, utf8('other'), signature],
        ] as const
      })
      let own = 0
      const counted = trials.map(([key, data, signature]) => {
        const k: Key = {
          ...key,
          publicJwk: () => key.publicJwk(),
          sign: (d) => key.sign(d),
          verify: (d, s) => {
            own++
            return key.verify(d, s)
          },
        }
        return worker.verify(k, data, signature)
      })
      const verdicts = await Promise.all(counted)
      expect(own).toBe(0) // all on the worker
      expect(verdicts).toEqual(trials.map(([key, data, sig]) => key.verifySync!(data, sig)))
      expect(verdicts.filter(Boolean)).toHaveLength(datas.length * 2)
      // Signing and verifying in the same turn.
      const [signature, ok] = await Promise.all([
        worker.sign(a.privateKey, datas[5]!),
        worker.verify(a.publicKey, datas[5]!, a.privateKey.signSync!(datas[5]!)),
      ])
      expect(signature).toEqual(a.privateKey.signSync!(datas[5]!))
      expect(ok).toBe(true)
    } finally {
      await worker.close()
    }
  })

  it('leaves verification with other keys, or of a non-byte signature, to key.verify', async () => {
    const es = await generateKeyPair('ecdsa-p256-sha256')
    const ed = await generateKeyPair('ed25519')
    const worker = createSignWorker()
    try {
      const signature = await es.privateKey.sign(datas[0]!)
      expect(await worker.verify(es.publicKey, datas[0]!, signature)).toBe(true)
      expect(await worker.verify(es.publicKey, datas[1]!, signature)).toBe(false)
      expect(await worker.verify(ed.publicKey, datas[0]!, 'x' as never)).toBe(false)
    } finally {
      await worker.close()
    }
  })
})
