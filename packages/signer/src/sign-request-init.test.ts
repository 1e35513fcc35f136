import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createSignatureBase,
  type FieldLine,
  importKey,
  parseSignature,
  parseSignatureInput,
  utf8,
} from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSigner, signRequestInit } from './index.ts'

const hmac = await importKey(utf8('a shared secret of at least 32 bytes!!'), {
  algorithm: 'hmac-sha256',
  keyId: 'client-1',
})

interface Received {
  method: string
  url: string
  lines: FieldLine[]
  body: Buffer
}

let base = ''
let last: Received | undefined
const server = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const lines: FieldLine[] = []
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      lines.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string])
    }
    last = {
      method: req.method as string,
      url: `${base}${req.url}`,
      lines,
      body: Buffer.concat(chunks),
    }
    res.end('ok')
  })
})
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

const field = (r: Received, name: string): string | undefined =>
  r.lines.find((l) => l[0].toLowerCase() === name)?.[1]

/** Sends `init` with fetch, then checks the signature over what the server received. */
async function sendAndCheck(url: string, init: RequestInit): Promise<Received> {
  await (await fetch(url, init)).text()
  const got = last as Received
  const member = parseSignatureInput(field(got, 'signature-input') as string).get('sig1')!
  const signature = parseSignature(field(got, 'signature') as string).get('sig1')!
  const message = { method: got.method, url: got.url, headers: got.lines }
  const signedBase = createSignatureBase(message, member.components, member.innerList[1])
  expect(await hmac.verify(signedBase.bytes, signature)).toBe(true)
  const digest = field(got, 'content-digest')
  if (got.body.length > 0 || digest !== undefined) {
    expect(digest).toBe(`sha-256=:${createHash('sha256').update(got.body).digest('base64')}:`)
  }
  return got
}

const components = (init: { headers: FieldLine[] }): string[] => {
  const value = init.headers.find((l) => l[0] === 'signature-input')?.[1] as string
  return parseSignatureInput(value)
    .get('sig1')!
    .components.map((c) => c.id)
}

describe('signRequestInit', () => {
  it('signs what fetch sends, for every kind of body fetch takes', async () => {
    const url = `${base}/v1/orders?x=1`
    const stream = () =>
      new ReadableStream({
        start(c) {
          c.enqueue(utf8('streamed '))
          c.enqueue(utf8('bytes'))
          c.close()
        },
      })
    const cases: [string, RequestInit][] = [
      ['no body', {}],
      [
        'json string',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":1}' },
      ],
      ['string, no type', { method: 'PUT', body: 'plain é' }],
      ['bytes', { method: 'POST', body: utf8('raw bytes') as Uint8Array<ArrayBuffer> }],
      ['ArrayBuffer', { method: 'POST', body: utf8('ab').buffer as ArrayBuffer }],
      ['DataView', { method: 'POST', body: new DataView(utf8('xxview').buffer as ArrayBuffer, 2) }],
      ['URLSearchParams', { method: 'POST', body: new URLSearchParams({ a: '1', b: 'é' }) }],
      ['Blob', { method: 'POST', body: new Blob(['blob'], { type: 'text/csv' }) }],
      [
        'FormData',
        {
          method: 'POST',
          body: (() => {
            const f = new FormData()
            f.set('k', 'v')
            return f
          })(),
        },
      ],
      ['stream', { method: 'POST', body: stream(), duplex: 'half' } as RequestInit],
      [
        'lowercase method',
        { method: 'post', headers: [['Content-Type', 'text/plain']], body: 'x' },
      ],
      ['Headers object', { method: 'DELETE', headers: new Headers({ 'x-trace': 'a' }) }],
    ]
    for (const [name, init] of cases) {
      const signed = await signRequestInit(url, init, { key: hmac })
      const got = await sendAndCheck(url, signed)
      expect(got.method, name).toBe(signed.method)
      // Whatever Content-Type fetch sent is covered by the signature.
      if (field(got, 'content-type') !== undefined) {
        expect(components(signed), name).toContain('"content-type"')
      }
    }
  })

  it('sends the method as fetch normalizes it, and signs that', async () => {
    const signed = await signRequestInit(`${base}/a`, { method: 'patch' }, { key: hmac })
    expect(signed.method).toBe('patch') // PATCH is not one of the methods fetch uppercases
    const post = await signRequestInit(`${base}/a`, { method: 'pOsT', body: 'x' }, { key: hmac })
    expect(post.method).toBe('POST')
    expect((await sendAndCheck(`${base}/a`, post)).method).toBe('POST')
  })

  it('leaves the caller’s init and headers as they were', async () => {
    const headers = { 'content-type': 'application/json' }
    const init = { method: 'POST', headers, body: '{}' }
    const signed = await signRequestInit(`${base}/a`, init, { key: hmac })
    expect(init).toEqual({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(signed.headers).not.toBe(headers)
  })

  it('replaces a stale signature field instead of sending two', async () => {
    const signer = createSigner({ key: hmac })
    const first = await signer.signRequestInit(`${base}/a`, { method: 'POST', body: 'one' })
    const again = await signer.signRequestInit(`${base}/a`, first)
    for (const name of ['signature', 'signature-input', 'content-digest']) {
      expect(again.headers.filter((l) => l[0].toLowerCase() === name)).toHaveLength(1)
    }
    await sendAndCheck(`${base}/a`, again)
  })

  it('refuses what fetch would refuse or what would not verify', async () => {
    const key = { key: hmac }
    await expect(signRequestInit(`${base}/a`, { body: 'x' }, key)).rejects.toThrow(TypeError)
    await expect(signRequestInit(`${base}/a`, { method: 'HEAD', body: 'x' }, key)).rejects.toThrow(
      TypeError,
    )
    await expect(
      signRequestInit(
        `${base}/a`,
        { method: 'POST', headers: { 'content-digest': 'sha-256=:AAAA:' }, body: 'x' },
        key,
      ),
    ).rejects.toThrow(TypeError)
    await expect(signRequestInit(42 as never, {}, key)).rejects.toThrow(TypeError)
    await expect(signRequestInit(`${base}/a`, 'init' as never, key)).rejects.toThrow(TypeError)
    await expect(
      signRequestInit(`${base}/a`, { method: 'POST', headers: { a: 1 as never }, body: 'x' }, key),
    ).rejects.toThrow(TypeError)
  })
})
