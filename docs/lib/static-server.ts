/**
 * A static file server for the built site, resolving clean URLs the way static hosts do
 * (`/errors/replayed` → `errors/replayed.html`, `/api/` → `api/index.html`). For the browser
 * test and `pnpm --filter @countersign/docs run preview`; it listens on loopback only.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
}

/** The file under `root` that `pathname` names, or undefined (outside the root, or missing). */
function fileFor(root: string, pathname: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return undefined
  }
  const target = resolve(root, `.${decoded}`)
  if (target !== root && !target.startsWith(root + sep)) {
    return undefined
  }
  for (const candidate of [target, `${target}.html`, join(target, 'index.html')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) {
      return candidate
    }
  }
  return undefined
}

/**
 * Serves `root` on `127.0.0.1`; resolves with the server and its origin.
 *
 * @example
 * ```ts
 * const { server, origin } = await serveStatic('docs/dist')
 * await fetch(`${origin}/errors/replayed`)
 * server.close()
 * ```
 *
 * @throws {Error} if the port cannot be bound.
 */
export async function serveStatic(
  dir: string,
  port = 0,
): Promise<{ server: Server; origin: string }> {
  const root = resolve(dir)
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname
    const file = fileFor(root, pathname)
    const status = file ? 200 : 404
    const body = file ?? join(root, '404.html')
    res.writeHead(status, {
      'content-type': TYPES[extname(body)] ?? 'application/octet-stream',
    })
    res.end(existsSync(body) ? readFileSync(body) : 'not found')
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', done)
  })
  const { port: bound } = server.address() as AddressInfo
  return { server, origin: `http://127.0.0.1:${bound}` }
}
