/** The console's JSON API, with the session's CSRF token on every state change. */

/** The console's base path (the page is served at `<base>/`). */
export const BASE = location.pathname.replace(/\/[^/]*$/, '')

let csrf = ''

/** Remembers the session's CSRF token. */
export function setCsrf(token: string): void {
  csrf = token
}

/** An API failure, with the server's stable code. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** Calls the API; rejects with an {@link ApiError} for any non-2xx answer. */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = {}
  if (method !== 'GET') {
    headers['x-csrf-token'] = csrf
  }
  if (body !== undefined) {
    headers['content-type'] = 'application/json'
  }
  const response = await fetch(`${BASE}/api/${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>
  if (!response.ok) {
    throw new ApiError(
      response.status,
      String(data.code ?? 'error'),
      String(data.detail ?? data.title ?? 'failed'),
    )
  }
  return data as T
}
