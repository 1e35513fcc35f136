/**
 * Issue #14: one signed request is accepted at most once, whichever subset of its signatures is
 * presented, over real HTTP on every adapter and every store (memory, SQLite, Redis).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ConsumeOnceStore,
  createMemoryStore,
  importKey,
  type Key,
  parseSignature,
  parseSignatureInput,
  serializeSignatures,
  utf8,
} from '@countersign/core'
import { signRequest } from '@countersign/signer'
import { createRedisStore } from '@countersign/store/redis'
import { createSqliteStore } from '@countersign/store/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { ADAPTERS, startServer } from './helpers/servers.ts'

const current = await importKey(utf8('the current shared secret, 32+ bytes!'), {
  algorithm: 'hmac-sha256',
  keyId: 'current',
})
const next = await importKey(utf8('the next shared secret, also 32+ bytes'), {
  algorithm: 'hmac-sha256',
  keyId: 'next',
})
const KEYS: Record<string, Key> = { current, next }
const keys = (id: string) => KEYS[id]

const dir = mkdtempSync(join(tmpdir(), 'cs-replay-'))
const closers: (() => Promise<unknown> | unknown)[] = []
afterAll(async () => {
  for (const close of closers.splice(0)) {
    await close()
  }
  rmSync(dir, { recursive: true, force: true })
})

let stores = 0
const STORES: Record<string, () => Promise<ConsumeOnceStore>> = {
  memory: async () => createMemoryStore(),
  sqlite: async () => {
    const store = await createSqliteStore({ path: join(dir, `nonces-${stores++}.db`) })
    closers.push(() => store.close?.())
    return store
  },
  redis: async () => {
    const store = await createRedisStore({
      ...(process.env.REDIS_URL === undefined ? {} : { url: process.env.REDIS_URL }),
      prefix: `cs-replay-${process.pid}-${stores++}`,
    })
    closers.push(() => store.close?.())
    return store
  },
}

/** The same request carrying only the signatures labelled `keep`. */
function only(signed: Request, keep: readonly string[]): Request {
  const inputs = parseSignatureInput(signed.headers.get('signature-input') as string)
  const signatures = parseSignature(signed.headers.get('signature') as string)
  const fields = serializeSignatures(
    keep.map((label) => ({
      label,
      innerList: inputs.get(label)?.innerList as never,
      signature: signatures.get(label) as Uint8Array,
    })),
  )
  const headers = new Headers(signed.headers)
  headers.set('signature-input', fields.signatureInput)
  headers.set('signature', fields.signature)
  return new Request(signed.url, {
    method: signed.method,
    headers,
    body: signed.clone().body,
    duplex: 'half',
  } as RequestInit)
}

async function statusOf(request: Request): Promise<[number, string | undefined]> {
  const response = await fetch(request)
  const body = (await response.json()) as { code?: string }
  return [response.status, body.code]
}

describe.each(Object.keys(STORES))('on the %s store', (storeName) => {
  describe.each(ADAPTERS)('through the %s adapter', (adapter) => {
    const start = async () => {
      const nonceStore = await (STORES[storeName] as () => Promise<ConsumeOnceStore>)()
      const server = await startServer(adapter, { keys, nonceStore })
      closers.push(() => server.close())
      return server
    }
    const rotated = (origin: string) =>
      signRequest(
        new Request(`${origin}/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"order":1}',
        }),
        { signatures: [{ key: current }, { key: next }] },
      )

    it('accepts a request signed under two labels once, then no subset of it', async () => {
      const server = await start()
      const signed = await rotated(server.origin)
      expect(await statusOf(only(signed, ['sig1', 'sig2']))).toEqual([200, undefined])
      for (const subset of [['sig1', 'sig2'], ['sig2'], ['sig1'], ['sig2', 'sig1']]) {
        expect(await statusOf(only(signed, subset))).toEqual([401, 'replayed'])
      }
    })

    it('refuses the whole request after a subset of it was accepted first', async () => {
      const server = await start()
      const signed = await rotated(server.origin)
      expect(await statusOf(only(signed, ['sig2']))).toEqual([200, undefined])
      for (const subset of [['sig1', 'sig2'], ['sig1'], ['sig2']]) {
        expect(await statusOf(only(signed, subset))).toEqual([401, 'replayed'])
      }
    })

    it('refuses signatures of one request with different nonces, and their replays', async () => {
      const server = await start()
      const first = await signRequest(
        new Request(`${server.origin}/v1/orders`, { method: 'POST', body: 'x' }),
        { key: current, nonce: 'nonce-a' },
      )
      const signed = await signRequest(first, { key: next, label: 'sig2', nonce: 'nonce-b' })
      expect(await statusOf(only(signed, ['sig1', 'sig2']))).toEqual([401, 'signature_invalid'])
      expect(await statusOf(only(signed, ['sig1']))).toEqual([401, 'replayed'])
      expect(await statusOf(only(signed, ['sig2']))).toEqual([401, 'replayed'])
    })
  })
})
