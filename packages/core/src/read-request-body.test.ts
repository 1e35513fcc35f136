import { describe, expect, it } from 'vitest'
import { RequestError } from './errors.ts'
import { readRequestBody } from './read-request-body.ts'

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request('http://127.0.0.1/', { method: 'POST', body, headers })

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RequestError)
  return (error as RequestError).code
}

describe('readRequestBody', () => {
  it('reads a body within the cap, and no body as zero bytes', async () => {
    expect(await readRequestBody(post('hello'), 5)).toEqual(new TextEncoder().encode('hello'))
    expect(await readRequestBody(new Request('http://127.0.0.1/'), 0)).toEqual(new Uint8Array(0))
  })

  it('refuses a body past the cap, declared or streamed', async () => {
    expect(await codeOf(readRequestBody(post('x', { 'content-length': '6' }), 5))).toBe(
      'body_too_large',
    )
    expect(await codeOf(readRequestBody(post('hello!'), 5))).toBe('body_too_large')
    expect(await codeOf(readRequestBody(post('x'), 5, '999999999999999'))).toBe('body_too_large')
  })

  it.each(['abc', '-1', '1.5', '1e3', ' 5', '5, 5', '0x10', '', '1234567890123456'])(
    'refuses the Content-Length %j as malformed, even with no body',
    async (value) => {
      expect(await codeOf(readRequestBody(post('hello'), 1024, value))).toBe('malformed')
      expect(await codeOf(readRequestBody(new Request('http://127.0.0.1/'), 1024, value))).toBe(
        'malformed',
      )
    },
  )

  it('answers a failing body stream as malformed', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('client went away'))
      },
    })
    const request = new Request('http://127.0.0.1/', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(await codeOf(readRequestBody(request, 1024))).toBe('malformed')
  })

  it('throws TypeError for a body already read', async () => {
    const request = post('hello')
    await request.text()
    await expect(readRequestBody(request, 1024)).rejects.toBeInstanceOf(TypeError)
  })
})
