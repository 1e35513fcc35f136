/**
 * Real HTTP servers on 127.0.0.1 for the adapter tests: `node:http`, Express 5, Fastify 5 and
 * Hono 4 (served through a small `node:http` bridge that passes `{ incoming, outgoing }` as
 * `c.env`, as `@hono/node-server` does). Each verifies with its Countersign adapter and answers
 * a verified request with `{ keyId, label, body }` (the body as the handler sees it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { Readable } from 'node:stream'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { countersign as expressCountersign } from '../../src/adapters/express.ts'
import { countersign as fastifyCountersign } from '../../src/adapters/fastify.ts'
import {
  type CountersignVariables,
  countersign as honoCountersign,
} from '../../src/adapters/hono.ts'
import { countersign as nodeCountersign } from '../../src/adapters/node.ts'
import type { VerifyRequestOptions } from '../../src/types.ts'

export type AdapterName = 'node' | 'express' | 'fastify' | 'hono'
export const ADAPTERS: readonly AdapterName[] = ['node', 'express', 'fastify', 'hono']

export interface RunningServer {
  readonly name: AdapterName
  /** `http://127.0.0.1:<port>`, also the configured origin. */
  readonly origin: string
  readonly port: number
  close(): Promise<void>
}

/** Big enough that 1 MB header values reach the adapter instead of Node's 431. */
const MAX_HEADER_SIZE = 4 * 1024 * 1024

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function closer(server: Server, extra?: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    await extra?.()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes)
}

/** Serves a Hono app on node:http the way @hono/node-server does (env = { incoming, outgoing }). */
function honoBridge(app: Hono<{ Variables: CountersignVariables }>, origin: () => string) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const headers = new Headers()
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
      }
      const method = req.method ?? 'GET'
      const url = (req.url ?? '/').startsWith('/') ? `${origin()}${req.url}` : (req.url as string)
      const request = new Request(url, {
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD'
          ? {}
          : { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' }),
      } as RequestInit)
      const response = await app.fetch(request, { incoming: req, outgoing: res })
      const out: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        out[name] = value
      })
      const body = new Uint8Array(await response.arrayBuffer())
      out['content-length'] = String(body.length)
      res.writeHead(response.status, out)
      res.end(body)
    } catch {
      if (!res.headersSent) {
        res.writeHead(500, { connection: 'close' })
      }
      res.end()
    }
  }
}

/** Starts one adapter's server. `options` are the verifier options (the origin is added). */
export async function startServer(
  name: AdapterName,
  options: Omit<VerifyRequestOptions, 'fieldLines'>,
  publicOrigin?: string,
): Promise<RunningServer> {
  // Node's own clientError handling stays: it answers 400 (or 431) to what its parser refuses.
  const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE })
  const port = await listen(server)
  const origin = publicOrigin ?? `http://127.0.0.1:${port}`
  switch (name) {
    case 'node': {
      const verify = nodeCountersign({ ...options, origin })
      server.on('request', async (req, res) => {
        const verified = await verify(req, res)
        if (verified === undefined) {
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            keyId: verified.keyId,
            label: verified.label,
            body: text(verified.body),
          }),
        )
      })
      verify.checkContinue(server)
      return { name, origin, port, close: closer(server) }
    }
    case 'express': {
      const app = express()
      const verify = expressCountersign({ ...options, origin })
      app.use(verify)
      app.use((req, res) => {
        const body = req.body
        res.json({
          keyId: req.countersign?.keyId,
          label: req.countersign?.label,
          body: Buffer.isBuffer(body)
            ? body.toString('utf8')
            : body === undefined
              ? ''
              : JSON.stringify(body),
        })
      })
      server.on('request', app)
      verify.checkContinue(server)
      return { name, origin, port, close: closer(server) }
    }
    case 'fastify': {
      const app = Fastify({
        serverFactory: (handler) => {
          server.on('request', handler)
          return server
        },
      })
      await app.register(fastifyCountersign, { ...options, origin })
      app.all('/*', async (request) => {
        const body = request.body
        return {
          keyId: request.countersign?.keyId,
          label: request.countersign?.label,
          body:
            body === undefined || body === null
              ? ''
              : typeof body === 'string'
                ? body
                : JSON.stringify(body),
        }
      })
      await app.ready()
      return { name, origin, port, close: closer(server, () => app.close()) }
    }
    case 'hono': {
      const app = new Hono<{ Variables: CountersignVariables }>()
      const verify = honoCountersign({ ...options, origin })
      app.use('*', verify)
      app.all('*', async (c) => {
        const verified = c.get('countersign')
        return c.json({ keyId: verified.keyId, label: verified.label, body: await c.req.text() })
      })
      server.on(
        'request',
        honoBridge(app, () => origin),
      )
      verify.checkContinue(server)
      return { name, origin, port, close: closer(server) }
    }
  }
}

/** A raw HTTP/1.1 exchange on a socket, for what fetch cannot send. Resolves with the bytes read. */
export function rawExchange(
  port: number,
  head: string,
  options: { body?: string; waitForContinue?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    let sentBody = false
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(data)
    }, options.timeoutMs ?? 3000)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      data += chunk
      if (options.waitForContinue && !sentBody && data.startsWith('HTTP/1.1 100')) {
        sentBody = true
        socket.write(options.body ?? '', 'latin1')
      }
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      if (data === '') {
        reject(error)
      } else {
        resolve(data)
      }
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(data)
    })
    // latin1: one byte per character, so tests send exactly the bytes they mean.
    socket.write(head, 'latin1')
    if (!options.waitForContinue && options.body !== undefined) {
      socket.write(options.body, 'latin1')
    }
  })
}

/** Parses the status and JSON body of a raw response. */
export function parseRaw(raw: string): { status: number; headers: string; body: unknown } {
  // Skip an interim 100 Continue, if any.
  const final = raw.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '')
  const end = final.indexOf('\r\n\r\n')
  const head = end < 0 ? final : final.slice(0, end)
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
  let rest = end < 0 ? '' : final.slice(end + 4)
  if (/\r\ntransfer-encoding: chunked/i.test(head)) {
    let decoded = ''
    let at = 0
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', at)
      const size = Number.parseInt(rest.slice(at, lineEnd), 16)
      if (lineEnd < 0 || !(size > 0)) {
        break
      }
      decoded += rest.slice(lineEnd + 2, lineEnd + 2 + size)
      at = lineEnd + 2 + size + 2
    }
    rest = decoded
  }
  let body: unknown = rest
  try {
    body = JSON.parse(rest)
  } catch {
    // not JSON (chunked or empty)
  }
  return { status, headers: head.toLowerCase(), body }
}
