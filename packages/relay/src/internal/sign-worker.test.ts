import {
  createContentDigest,
  createKeyRing,
  type FieldLine,
  generateKeyPair,
  importKey,
  type Key,
  utf8,
  webBackend,
} from '@countersign/core'
import { createSigner, type SignedFields } from '@countersign/signer'
import { RELAY_COMPONENTS, RELAY_SIGNATURE_TAG, verifyMessage } from '@countersign/verifier'
import { describe, expect, it } from 'vitest'
import { createSignWorker, MAX_PENDING, type SigningProfile } from './sign-worker.ts'

const FIELDS: readonly FieldLine[] = [['content-type', 'application/json']]
const OPTIONS = {
  components: RELAY_COMPONENTS,
  tag: RELAY_SIGNATURE_TAG,
  expiresIn: 60,
  digest: 'sha-256' as const,
}
const profile: SigningProfile = { options: OPTIONS, fields: FIELDS }
const URL_ = new URL('https://api.example/v1/orders?id=7')
const bodies = Array.from({ length: 30 }, (_, i) =>
  utf8(JSON.stringify({ user: { user_id: `u-${i}` }, data: 'é'.repeat(i), n: i })),
)
const secret = utf8('a shared secret of at least 32 bytes!!')

/** Checks fields the way the target's API does, with `key`. */
async function verifies(fields: SignedFields, body: Uint8Array, key: Key): Promise<boolean> {
  const headers: FieldLine[] = [...FIELDS, ...(Object.entries(fields) as FieldLine[])]
  try {
    await verifyMessage(
      { method: 'POST', url: URL_.href, headers, body },
      { keys: createKeyRing([key]), requiredComponents: RELAY_COMPONENTS },
    )
    return true
  } catch {
    return false
  }
}

/** A `here` for signMessage that counts its calls and signs with `key` on this thread. */
function onLoop(key: Key, options: object = OPTIONS) {
  let calls = 0
  const signer = createSigner({ ...options, key })
  return {
    calls: () => calls,
    here: (body: Uint8Array) => () => {
      calls++
      return signer.signMessage({ method: 'POST', url: URL_, headers: FIELDS, body })
    },
  }
}

describe('createSignWorker', () => {
  it('signs forwards on the worker that verify as the event loop would sign them', async () => {
    const ed = await generateKeyPair('ed25519', { keyId: 'relay-1' })
    const hmac = await importKey(secret, { algorithm: 'hmac-sha256', keyId: 'orders' })
    const worker = createSignWorker()
    try {
      for (const [signing, checking] of [
        [ed.privateKey, ed.publicKey],
        [hmac, hmac],
      ] as const) {
        const loop = onLoop(signing)
        // 30 in one turn (several batches).
        const all = await Promise.all(
          bodies.map((body) => worker.signMessage(profile, signing, URL_, body, loop.here(body))),
        )
        expect(loop.calls()).toBe(0) // all on the worker
        for (const [i, fields] of all.entries()) {
          const body = bodies[i]!
          expect(fields['content-digest']).toBe(await createContentDigest(body))
          expect(fields['signature-input']).toMatch(
            new RegExp(
              `^sig1=\\("@method" "@target-uri" "content-digest" "content-type"\\);created=\\d+;keyid="${signing.keyId}";expires=\\d+;nonce="[A-Za-z0-9_-]{22}";tag="countersign-relay"$`,
            ),
          )
          expect(await verifies(fields, body, checking)).toBe(true)
          const other = bodies[(i + 1) % bodies.length]!
          expect(await verifies(fields, other, checking)).toBe(false)
        }
        // The same shape as the event loop's signer gives.
        const local = await loop.here(bodies[0]!)()
        expect(Object.keys(all[0]!).sort()).toEqual(Object.keys(local).sort())
      }
      // A profile's own options reach the worker (a keyid that is not the key's id).
      const keyed: SigningProfile = { options: { ...OPTIONS, keyid: 'custom' }, fields: FIELDS }
      const loop = onLoop(hmac, { ...OPTIONS, keyid: 'custom' })
      const fields = await worker.signMessage(keyed, hmac, URL_, bodies[1]!, loop.here(bodies[1]!))
      expect(loop.calls()).toBe(0)
      expect(fields['signature-input']).toContain('keyid="custom"')
    } finally {
      await worker.close()
    }
  })

  it('signs on the event loop with keys it does not take, and past the cap', async () => {
    const worker = createSignWorker()
    try {
      const es = await generateKeyPair('ecdsa-p256-sha256')
      const web = await webBackend.importKey(secret, { algorithm: 'hmac-sha256' })
      for (const key of [es.privateKey, web, undefined]) {
        const loop = onLoop(key ?? web)
        await worker.signMessage(profile, key, URL_, bodies[0]!, loop.here(bodies[0]!))
        expect(loop.calls()).toBe(1)
      }
      const ed = await generateKeyPair('ed25519')
      const loop = onLoop(ed.privateKey)
      const many = Array.from({ length: MAX_PENDING + 20 }, (_, i) => bodies[i % bodies.length]!)
      const all = await Promise.all(
        many.map((body) => worker.signMessage(profile, ed.privateKey, URL_, body, loop.here(body))),
      )
      expect(loop.calls()).toBe(20)
      for (const [i, fields] of all.entries()) {
        expect(await verifies(fields, many[i]!, ed.publicKey)).toBe(true)
      }
    } finally {
      await worker.close()
    }
  })

  it('signs HMAC forwards on the event loop while the worker has token checks to do', async () => {
    const ed = await generateKeyPair('ed25519')
    const hmac = await importKey(secret, { algorithm: 'hmac-sha256' })
    const edLoop = onLoop(ed.privateKey)
    const hmacLoop = onLoop(hmac)
    const worker = createSignWorker()
    try {
      const check = worker.verify(ed.publicKey, bodies[0]!, ed.privateKey.signSync!(bodies[0]!))
      const [mac, signed] = await Promise.all([
        worker.signMessage(profile, hmac, URL_, bodies[1]!, hmacLoop.here(bodies[1]!)),
        worker.signMessage(profile, ed.privateKey, URL_, bodies[2]!, edLoop.here(bodies[2]!)),
      ])
      expect(await check).toBe(true)
      expect(hmacLoop.calls()).toBe(1) // on the event loop
      expect(edLoop.calls()).toBe(0) // on the worker
      expect(await verifies(mac, bodies[1]!, hmac)).toBe(true)
      expect(await verifies(signed, bodies[2]!, ed.publicKey)).toBe(true)
      // With no checks pending, HMAC goes to the worker again.
      await worker.signMessage(profile, hmac, URL_, bodies[3]!, hmacLoop.here(bodies[3]!))
      expect(hmacLoop.calls()).toBe(1)
    } finally {
      await worker.close()
    }
  })

  it('finishes everything pending when closed, and signs on the event loop afterwards', async () => {
    const ed = await generateKeyPair('ed25519')
    const loop = onLoop(ed.privateKey)
    const worker = createSignWorker()
    await worker.signMessage(profile, ed.privateKey, URL_, bodies[0]!, loop.here(bodies[0]!))
    const pending = bodies.map((body) =>
      worker.signMessage(profile, ed.privateKey, URL_, body, loop.here(body)),
    )
    await worker.close()
    const all = await Promise.all(pending)
    for (const [i, fields] of all.entries()) {
      expect(await verifies(fields, bodies[i]!, ed.publicKey)).toBe(true)
    }
    const before = loop.calls()
    await worker.signMessage(profile, ed.privateKey, URL_, bodies[1]!, loop.here(bodies[1]!))
    expect(loop.calls()).toBe(before + 1)
  })

  it('does the work of a dying worker on the event loop and starts a new worker', async () => {
    // The real worker, except that a forward to /die makes it exit.
    const dies = new URL('../test/dying-sign-worker.ts', import.meta.url)
    const ed = await generateKeyPair('ed25519')
    const loop = onLoop(ed.privateKey)
    const worker = createSignWorker(dies)
    try {
      await worker.signMessage(profile, ed.privateKey, URL_, bodies[2]!, loop.here(bodies[2]!))
      expect(loop.calls()).toBe(0)
      const token = ed.privateKey.signSync!(bodies[3]!)
      const [signed, ok] = await Promise.all([
        worker.signMessage(
          profile,
          ed.privateKey,
          new URL('https://api.example/die'),
          bodies[3]!,
          loop.here(bodies[3]!),
        ),
        worker.verify(ed.publicKey, bodies[3]!, token),
      ])
      expect(loop.calls()).toBe(1) // signed here after the worker died
      expect(await verifies(signed, bodies[3]!, ed.publicKey)).toBe(true)
      expect(ok).toBe(true)
      // A new worker, which is sent the key and profile again.
      await worker.signMessage(profile, ed.privateKey, URL_, bodies[4]!, loop.here(bodies[4]!))
      expect(loop.calls()).toBe(1)
    } finally {
      await worker.close()
    }
  })

  it('signs on the event loop what the worker could not, and nothing else', async () => {
    // The real worker, except that a body starting with "X" cannot be signed there.
    const fails = new URL('../test/failing-sign-worker.ts', import.meta.url)
    const ed = await generateKeyPair('ed25519')
    const loop = onLoop(ed.privateKey)
    const worker = createSignWorker(fails)
    try {
      const odd = utf8('X marks the spot')
      const all = await Promise.all(
        [bodies[0]!, odd, bodies[1]!].map((body) =>
          worker.signMessage(profile, ed.privateKey, URL_, body, loop.here(body)),
        ),
      )
      expect(loop.calls()).toBe(1)
      expect(await verifies(all[1]!, odd, ed.publicKey)).toBe(true)
      // And when the event loop cannot sign either, its error reaches the caller.
      await expect(
        worker.signMessage(profile, ed.privateKey, URL_, odd, () =>
          Promise.reject(new TypeError('no key that can sign')),
        ),
      ).rejects.toThrow('no key that can sign')
    } finally {
      await worker.close()
    }
  })

  it('checks signatures on the worker exactly as the key does', async () => {
    const a = await generateKeyPair('ed25519', { keyId: 'a' })
    const b = await generateKeyPair('ed25519', { keyId: 'b' })
    const worker = createSignWorker()
    try {
      // Ten bases, six checks each: within the pending cap, so all go to the worker.
      const trials = bodies.slice(0, 10).flatMap((data, i) => {
        const signature = a.privateKey.signSync!(data)
        const flipped = signature.slice()
        flipped[i % 64]! ^= 1
        return [
          [a.publicKey, data, signature],
          [a.privateKey, data, signature], // a private key checks with its public half
          [b.publicKey, data, signature], // the wrong key
          [a.publicKey, data, flipped],
          [a.publicKey, data, signature.subarray(1)], // wrong length
          [a.publicKey, utf8('other'), signature],
        ] as const
      })
      let own = 0
      const verdicts = await Promise.all(
        trials.map(([key, data, signature]) => {
          const counted: Key = {
            ...key,
            publicJwk: () => key.publicJwk(),
            sign: (d) => key.sign(d),
            verify: (d, s) => {
              own++
              return key.verify(d, s)
            },
          }
          return worker.verify(counted, data, signature)
        }),
      )
      expect(own).toBe(0) // all on the worker
      expect(verdicts).toEqual(trials.map(([key, data, sig]) => key.verifySync!(data, sig)))
      expect(verdicts.filter(Boolean)).toHaveLength(20)
    } finally {
      await worker.close()
    }
  })

  it('leaves checks with other keys, or of a non-byte signature, to key.verify', async () => {
    const es = await generateKeyPair('ecdsa-p256-sha256')
    const ed = await generateKeyPair('ed25519')
    const worker = createSignWorker()
    try {
      const signature = await es.privateKey.sign(bodies[0]!)
      expect(await worker.verify(es.publicKey, bodies[0]!, signature)).toBe(true)
      expect(await worker.verify(es.publicKey, bodies[1]!, signature)).toBe(false)
      expect(await worker.verify(ed.publicKey, bodies[0]!, 'x' as never)).toBe(false)
    } finally {
      await worker.close()
    }
  })
})
