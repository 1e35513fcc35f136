/**
 * Console sessions: a random 256-bit id in an `HttpOnly`, `SameSite=Strict` cookie (`Secure`
 * outside localhost), stored only as its SHA-256 hash with the signed-in admin key id, a CSRF
 * token and an absolute expiry.
 *
 * @module
 */
import { type KeyValueStore, randomBytes, timingSafeEqual, toBase64Url } from '@countersign/core'

/** The session cookie's name. */
export const SESSION_COOKIE = 'cs_console_session'

/** A live session. */
export interface Session {
  /** The admin API key id that signed in. */
  actor: string
  /** That key's name. */
  name: string
  /** The CSRF token state changes must echo in `x-csrf-token`. */
  csrf: string
  /** When the session ends, epoch ms. */
  expiresAt: number
}

const NS = 'cs:console:session:'
const ID = /^[A-Za-z0-9_-]{43}$/

async function storeKey(id: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id))
  return NS + toBase64Url(new Uint8Array(digest))
}

/** Sessions over a key-value store. */
export interface Sessions {
  create(actor: string, name: string): Promise<{ id: string; session: Session }>
  get(id: string | undefined): Promise<Session | undefined>
  end(id: string | undefined): Promise<void>
}

/** Creates the session manager. */
export function createSessions(store: KeyValueStore, ttlMs: number, now: () => number): Sessions {
  return {
    async create(actor, name) {
      const id = toBase64Url(randomBytes(32))
      const session: Session = {
        actor,
        name,
        csrf: toBase64Url(randomBytes(32)),
        expiresAt: now() + ttlMs,
      }
      await store.set(await storeKey(id), JSON.stringify(session), { ttlMs })
      return { id, session }
    },
    async get(id) {
      if (id === undefined || !ID.test(id)) {
        return undefined
      }
      const raw = await store.get(await storeKey(id))
      if (raw === undefined) {
        return undefined
      }
      const session = JSON.parse(raw) as Session
      return session.expiresAt > now() ? session : undefined
    },
    async end(id) {
      if (id !== undefined && ID.test(id)) {
        await store.delete(await storeKey(id))
      }
    },
  }
}

/** Whether `given` is the session's CSRF token, compared in constant time. */
export function csrfMatches(session: Session, given: string | null): boolean {
  if (given === null || given.length !== session.csrf.length) {
    return false
  }
  const encoder = new TextEncoder()
  return timingSafeEqual(encoder.encode(given), encoder.encode(session.csrf))
}

/** The session id from the request's cookies (the first cookie of that name only if it is the only one). */
export function sessionCookie(request: Request): string | undefined {
  const header = request.headers.get('cookie')
  if (header === null) {
    return undefined
  }
  const values = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${SESSION_COOKIE}=`))
    .map((part) => part.slice(SESSION_COOKIE.length + 1))
  // Two cookies of one name (e.g. one planted for a sub-path): trust neither.
  return values.length === 1 ? values[0] : undefined
}

/** Whether the cookie may omit `Secure`: only on loopback names over plain HTTP. */
export function isLocalhost(url: URL): boolean {
  const host = url.hostname
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]'
}

/** The `Set-Cookie` value for a session id (or for clearing it). */
export function cookieHeader(
  url: URL,
  basePath: string,
  id: string,
  maxAgeSeconds: number,
): string {
  const secure = url.protocol === 'https:' || !isLocalhost(url) ? '; Secure' : ''
  return `${SESSION_COOKIE}=${id}; Path=${basePath}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`
}
