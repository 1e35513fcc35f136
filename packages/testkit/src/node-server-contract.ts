/**
 * The contract every Countersign `node:http` server holds (the token service's and the relay's),
 * run over real sockets on loopback: each documented timeout holds and answers `408
 * request_too_slow` where an answer can still be written, and every request Node's parser
 * refuses gets an RFC 9457 problem with a stable code and `connection: close`, never a bare
 * `400`. Timeouts are set small; the tests assert status, body and closing, with bounds of
 * three times a timeout, never tight timings.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** The timeouts the suite starts the server with, in ms. */
export const CONTRACT_TIMEOUTS = {
  headersTimeoutMs: 300,
  requestTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
  sendTimeoutMs: 300,
} as const

/** A server under test. */
export interface ContractServer {
  url: string
  close(): Promise<void>
}

/** What a raw exchange gave: the bytes received, and how long until the server closed. */
interface Exchange {
  text: string
  closedAfterMs: number
}

/** Connects, runs `drive`, and collects everything until the server closes. */
function exchange(url: string, drive: (socket: Socket) => void): Promise<Exchange> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    const chunks: Buffer[] = []
    const started = Date.now()
    const giveUp = setTimeout(() => {
      socket.destroy()
      reject(new Error('the server did not close the connection within 10 s'))
    }, 10_000)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(giveUp)
      resolve({
        text: Buffer.concat(chunks).toString('latin1'),
        closedAfterMs: Date.now() - started,
      })
    })
    socket.on('connect', () => drive(socket))
  })
}

/** The status, lower-cased head lines and JSON body of the first answer in `text`. */
function firstAnswer(text: string): { status: number; head: string[]; body: unknown } {
  const end = text.indexOf('\r\n\r\n')
  expect(end, `an answer in ${JSON.stringify(text.slice(0, 200))}`).toBeGreaterThan(0)
  const [line = '', ...head] = text.slice(0, end).split('\r\n')
  const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1])
  const body = text.slice(end + 4, end + 4 + length)
  return {
    status: Number(line.split(' ')[1]),
    head: head.map((h) => h.toLowerCase()),
    body: JSON.parse(body) as unknown,
  }
}

/** Asserts `text` holds exactly one problem+json answer with `status` and `code`, closing. */
function expectProblem(text: string, status: number, code: string): void {
  const answer = firstAnswer(text)
  expect(answer.status).toBe(status)
  expect(answer.head).toContain('content-type: application/problem+json')
  expect(answer.head).toContain('connection: close')
  expect(answer.body).toMatchObject({
    status,
    code,
    type: `https://countersign.dev/errors/${code}`,
  })
  expect(text.split('HTTP/1.1 ').length - 1, 'one answer only').toBe(1)
}

/**
 * Runs the contract against a server that `start` serves with {@link CONTRACT_TIMEOUTS};
 * `getPath` is a cheap `GET` route of it, `postPath` a route that reads a body.
 */
export function nodeServerContract(
  name: string,
  start: (timeouts: typeof CONTRACT_TIMEOUTS) => Promise<ContractServer>,
  paths: { getPath: string; postPath: string },
): void {
  describe(`${name}: node:http server contract`, () => {
    let server: ContractServer
    beforeAll(async () => {
      server = await start(CONTRACT_TIMEOUTS)
    })
    afterAll(async () => {
      await server.close()
    })
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = CONTRACT_TIMEOUTS

    describe('timeouts', () => {
      it('answers a header trickled a byte at a time with 408 and closes', async () => {
        let timer: NodeJS.Timeout | undefined
        const { text, closedAfterMs } = await exchange(server.url, (socket) => {
          socket.write(`GET ${paths.getPath} HTTP/1.1\r\nHost: a\r\nX-Slow: `)
          timer = setInterval(() => socket.write('x'), 20)
          socket.on('close', () => clearInterval(timer))
        })
        expectProblem(text, 408, 'request_too_slow')
        expect(closedAfterMs).toBeLessThan(3 * headersTimeoutMs)
      })

      it('answers a connection that sends nothing with 408 and closes', async () => {
        const { text, closedAfterMs } = await exchange(server.url, () => undefined)
        expectProblem(text, 408, 'request_too_slow')
        expect(closedAfterMs).toBeLessThan(3 * headersTimeoutMs)
      })

      it('answers a body that never arrives with 408 and closes', async () => {
        const { text, closedAfterMs } = await exchange(server.url, (socket) => {
          socket.write(
            `POST ${paths.postPath} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
              'Content-Length: 20\r\n\r\n{"a":',
          )
        })
        expectProblem(text, 408, 'request_too_slow')
        expect(closedAfterMs).toBeLessThan(3 * requestTimeoutMs)
      })

      it('answers a chunked body trickled forever with 408 and closes', async () => {
        let timer: NodeJS.Timeout | undefined
        const { text, closedAfterMs } = await exchange(server.url, (socket) => {
          socket.write(
            `POST ${paths.postPath} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
              'Transfer-Encoding: chunked\r\n\r\n',
          )
          timer = setInterval(() => socket.write('1\r\n \r\n'), 20)
          socket.on('close', () => clearInterval(timer))
        })
        expectProblem(text, 408, 'request_too_slow')
        expect(closedAfterMs).toBeLessThan(3 * requestTimeoutMs)
      })

      it('closes an idle keep-alive connection after one answer', async () => {
        const { text, closedAfterMs } = await exchange(server.url, (socket) => {
          socket.write(`GET ${paths.getPath} HTTP/1.1\r\nHost: a\r\n\r\n`)
        })
        expect(firstAnswer(text).status).toBe(200)
        expect(text.split('HTTP/1.1 ').length - 1, 'no second answer').toBe(1)
        expect(closedAfterMs).toBeLessThan(3 * keepAliveTimeoutMs + 1_000)
      })

      it('disconnects a client that never reads its answers', async () => {
        const { port } = new URL(server.url)
        const batch = `GET ${paths.getPath} HTTP/1.1\r\nHost: a\r\n\r\n`.repeat(500)
        // The client writes pipelined requests and never reads: once the answers fill the
        // buffers, the server's send timeout must cut it off (seen here as a failed write).
        const cutOff = await new Promise<boolean>((resolve) => {
          const socket = connect(Number(port), '127.0.0.1')
          socket.pause()
          const giveUp = setTimeout(() => {
            clearInterval(writer)
            socket.destroy()
            resolve(false)
          }, 15_000)
          const writer = setInterval(() => {
            if (socket.writableLength < 1_000_000) {
              socket.write(batch)
            }
          }, 10)
          socket.on('error', () => undefined)
          socket.on('close', () => {
            clearTimeout(giveUp)
            clearInterval(writer)
            resolve(true)
          })
        })
        expect(cutOff).toBe(true)
      }, 20_000)
    })

    describe('requests the parser refuses', () => {
      const get = `GET ${paths.getPath} HTTP/1.1\r\nHost: a\r\n`
      const post = `POST ${paths.postPath} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n`
      const cases: [string, string, number, string][] = [
        ['Content-Length: +5', `${post}Content-Length: +5\r\n\r\n{"a":`, 400, 'malformed'],
        ['Content-Length: -1', `${post}Content-Length: -1\r\n\r\n`, 400, 'malformed'],
        ['Content-Length: 0x5', `${post}Content-Length: 0x5\r\n\r\n{}`, 400, 'malformed'],
        [
          'two different Content-Length',
          `${post}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
          400,
          'malformed',
        ],
        [
          'Content-Length with Transfer-Encoding',
          `${post}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
          400,
          'malformed',
        ],
        [
          'a bad chunk size',
          `${post}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
          400,
          'malformed',
        ],
        [
          'a chunk longer than its size',
          `${post}Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n`,
          400,
          'malformed',
        ],
        [
          'an unknown transfer coding',
          `${post}Transfer-Encoding: gzip, chunked, identity\r\n\r\n0\r\n\r\n`,
          400,
          'malformed',
        ],
        ['a space before the colon', `${get}Host : b\r\n\r\n`, 400, 'malformed'],
        ['a control character in a value', `${get}X-A: a\x01b\r\n\r\n`, 400, 'malformed'],
        ['a bad header name', `${get}X(A): b\r\n\r\n`, 400, 'malformed'],
        ['an obsolete line folding', `${get}X-A: a\r\n b\r\n\r\n`, 400, 'malformed'],
        ['a bare LF line end', `GET ${paths.getPath} HTTP/1.1\nHost: a\n\n`, 400, 'malformed'],
        [
          'a bad HTTP version',
          `GET ${paths.getPath} HTTP/9.1\r\nHost: a\r\n\r\n`,
          400,
          'malformed',
        ],
        ['a bad method', `G(T ${paths.getPath} HTTP/1.1\r\nHost: a\r\n\r\n`, 400, 'malformed'],
        ['a space in the target', `GET /a b HTTP/1.1\r\nHost: a\r\n\r\n`, 400, 'malformed'],
        [
          'headers over the limit',
          `${get}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
          431,
          'headers_too_large',
        ],
        [
          'many headers over the limit',
          `${get}${'X-Many: abcdefghijklmnop\r\n'.repeat(1_000)}\r\n`,
          431,
          'headers_too_large',
        ],
        [
          'an oversized URL',
          `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
          431,
          'headers_too_large',
        ],
      ]
      it.each(cases)(
        'answers %s with a problem and closes',
        async (_label, bytes, status, code) => {
          const { text } = await exchange(server.url, (socket) => {
            socket.write(bytes)
          })
          expectProblem(text, status, code)
        },
      )

      it('answers a parse error after a good request on the same connection', async () => {
        const { text } = await exchange(server.url, (socket) => {
          socket.write(`${get}\r\n${post}Content-Length: +5\r\n\r\n{"a":`)
        })
        const second = text.slice(text.indexOf('HTTP/1.1 ', 1))
        expect(firstAnswer(text).status).toBe(200)
        expectProblem(second, 400, 'malformed')
      })
    })
  })
}
