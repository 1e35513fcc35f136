/**
 * The audit log: filtered, paged queries and CSV/JSON export.
 *
 * @module
 */
import type { AuditEvent, AuditEventType, AuditQuery } from '../audit-store.ts'
import type { ConsoleRoute, RouteContext } from './context.ts'
import { ConsoleError, json, SECURITY_HEADERS } from './http.ts'

const TYPES: readonly AuditEventType[] = [
  'verification',
  'issuance',
  'revocation',
  'admin',
  'session',
  'relay',
  'other',
]
const TEXT_FILTERS = ['user', 'key', 'target', 'code'] as const
const COLUMNS = [
  'id',
  'time',
  'type',
  'action',
  'actor',
  'user',
  'keyId',
  'target',
  'status',
  'code',
] as const
const PAGE = 50
const EXPORT_MAX = 10_000

function timeParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name)
  if (raw === null || raw === '') {
    return undefined
  }
  const ms = Date.parse(raw)
  if (!Number.isFinite(ms)) {
    throw new ConsoleError(400, 'malformed', `expected ${name} to be an ISO date`)
  }
  return ms
}

function intParam(params: URLSearchParams, name: string, max: number): number | undefined {
  const raw = params.get(name)
  if (raw === null || raw === '') {
    return undefined
  }
  if (!/^\d{1,15}$/.test(raw) || Number(raw) > max) {
    throw new ConsoleError(400, 'malformed', `expected ${name} to be a whole number up to ${max}`)
  }
  return Number(raw)
}

/** The query a request's search parameters describe. */
export function parseAuditQuery(params: URLSearchParams): AuditQuery {
  const query: AuditQuery = {}
  const from = timeParam(params, 'from')
  const to = timeParam(params, 'to')
  const status = intParam(params, 'status', 999)
  const before = intParam(params, 'before', Number.MAX_SAFE_INTEGER)
  Object.assign(query, from === undefined ? {} : { from }, to === undefined ? {} : { to })
  Object.assign(
    query,
    status === undefined ? {} : { status },
    before === undefined ? {} : { before },
  )
  const type = params.get('type') ?? ''
  if (type !== '') {
    if (!(TYPES as readonly string[]).includes(type)) {
      throw new ConsoleError(400, 'malformed', `expected type to be one of ${TYPES.join(', ')}`)
    }
    query.type = type as AuditEventType
  }
  for (const name of TEXT_FILTERS) {
    const value = params.get(name) ?? ''
    if (value.length > 200) {
      throw new ConsoleError(400, 'malformed', `expected ${name} to be at most 200 characters`)
    }
    if (value !== '') {
      query[name] = value
    }
  }
  return query
}

/** One CSV cell: quoted, and defused against spreadsheet formulas. */
function cell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value)
  if (/^[=+\-@\t\r]/.test(text)) {
    text = `'${text}`
  }
  return `"${text.replaceAll('"', '""')}"`
}

function toCsv(events: AuditEvent[]): string {
  const rows = events.map((event) =>
    COLUMNS.map((column) =>
      cell(column === 'time' ? new Date(event.time).toISOString() : event[column]),
    ).join(','),
  )
  return `${[COLUMNS.join(','), ...rows].join('\r\n')}\r\n`
}

async function exportLog(ctx: RouteContext): Promise<Response> {
  const format = ctx.url.searchParams.get('format') ?? 'json'
  if (format !== 'json' && format !== 'csv') {
    throw new ConsoleError(400, 'malformed', 'expected format to be csv or json')
  }
  const events = await ctx.parts.audit.query({
    ...parseAuditQuery(ctx.url.searchParams),
    limit: EXPORT_MAX,
  })
  const body = format === 'csv' ? toCsv(events) : JSON.stringify({ events })
  return new Response(body, {
    headers: {
      ...SECURITY_HEADERS,
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
      'content-disposition': `attachment; filename="countersign-audit.${format}"`,
    },
  })
}

/** The audit routes. */
export const auditRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: 'audit',
    async handle(ctx) {
      const query = parseAuditQuery(ctx.url.searchParams)
      const events = await ctx.parts.audit.query({ ...query, limit: PAGE + 1 })
      const page = events.slice(0, PAGE)
      const next = events.length > PAGE ? page[page.length - 1]?.id : undefined
      return json(200, { events: page, next: next ?? null })
    },
  },
  { method: 'GET', path: 'audit/export', handle: exportLog },
]
