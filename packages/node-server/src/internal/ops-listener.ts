/// <reference types="node" />
/**
 * Health, readiness, metrics and an access log around a `node:http` listener.
 *
 * @internal
 * @module
 */
import { randomUUID, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { RequestError, TokenError, traceparentOf } from '@countersign/core'
import { sendProblem } from '../send-problem.ts'
import type { HealthOptions, Metrics, NodeListener, OpsOptions } from '../types.ts'
import { type RequestContext, requestContext } from './request-context.ts'

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

/** A listener with operations options, and a switch that makes `/readyz` fail while draining. */
export interface OpsListener {
  listener: NodeListener
  drain(): void
}

function sendJson(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  const body = JSON.stringify(value)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  })
  res.end(head ? undefined : body)
}

/** Runs every readiness check with a deadline; names the ones that failed. */
async function readiness(health: HealthOptions): Promise<Record<string, 'ok' | 'failed'>> {
  const timeoutMs = health.timeoutMs ?? 2000
  const entries = Object.entries(health.checks ?? {})
  const results = await Promise.all(
    entries.map(async ([name, check]) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)
      })
      try {
        await Promise.race([Promise.resolve().then(check), deadline])
        return [name, 'ok'] as const
      } catch {
        return [name, 'failed'] as const
      } finally {
        clearTimeout(timer)
      }
    }),
  )
  return Object.fromEntries(results)
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '')
  const wanted = Buffer.from(`Bearer ${token}`)
  return given.length === wanted.length && timingSafeEqual(given, wanted)
}

async function metricsAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: Metrics,
  token: string,
) {
  if (req.headers.authorization === undefined) {
    sendProblem(res, new TokenError('token_missing', 'send Authorization: Bearer <metrics token>'))
    return
  }
  if (!bearerMatches(req.headers.authorization, token)) {
    sendProblem(res, new TokenError('token_invalid', 'wrong metrics token'))
    return
  }
  const body = await metrics.render()
  res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
  res.end(req.method === 'HEAD' ? undefined : body)
}

/** Answers `/healthz`, `/readyz` and `/metrics`; `false` when the path is none of them. */
function answerOps(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  options: OpsOptions,
  draining: () => boolean,
): boolean {
  const { health, metrics, metricsToken } = options
  const served =
    path === '/metrics' ? metrics !== undefined && metricsToken !== undefined : health !== undefined
  if (!served) {
    return false
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD')
    sendProblem(res, new RequestError('method_not_allowed', 'use GET'))
    return true
  }
  const head = req.method === 'HEAD'
  const answer = async (): Promise<void> => {
    if (path === '/metrics') {
      await metricsAnswer(req, res, metrics as Metrics, metricsToken as string)
    } else if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' }, head)
    } else if (draining()) {
      sendJson(res, 503, { status: 'unavailable', checks: { shutdown: 'failed' } }, head)
    } else {
      const checks = await readiness(health as HealthOptions)
      const ready = Object.values(checks).every((result) => result === 'ok')
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', checks }, head)
    }
  }
  answer().catch(() => sendProblem(res, undefined))
  return true
}

/** The access log line and request metrics of one request, once its answer is done. */
function record(
  req: IncomingMessage,
  res: ServerResponse,
  options: OpsOptions,
  context: RequestContext,
  started: number,
) {
  const method = req.method ?? 'GET'
  const path = (req.url ?? '').split('?')[0] ?? ''
  const route =
    context.route ??
    (OPS_PATHS.has(path) ? `${method} ${path}` : options.routeOf?.(method, path)) ??
    'other'
  const status = res.writableFinished ? res.statusCode : 499
  const code = context.code ?? (res.writableFinished ? undefined : 'request_aborted')
  const seconds = (performance.now() - started) / 1000
  options.metrics?.observeRequest({ route, method, status, code, seconds })
  if (options.logger !== undefined) {
    const answered = res.getHeader('x-request-id')
    const trace = traceparentOf(
      req.headersDistinct.traceparent?.length === 1
        ? req.headersDistinct.traceparent[0]
        : undefined,
    )
    options.logger.info(
      {
        requestId: typeof answered === 'string' ? answered : context.requestId,
        method,
        route,
        status,
        ...(code === undefined ? {} : { code }),
        ...(context.target === undefined ? {} : { target: context.target }),
        latencyMs: Math.round(seconds * 1e6) / 1000,
        ...(trace === undefined ? {} : { traceId: trace.traceId, parentId: trace.parentId }),
      },
      'request',
    )
  }
}

/**
 * Wraps `listener` with the operations options; returns it unchanged (and costs nothing) when
 * none is set.
 */
export function opsListener(listener: NodeListener, options: OpsOptions): OpsListener {
  let draining = false
  const drain = (): void => {
    draining = true
  }
  if (
    options.health === undefined &&
    options.metrics === undefined &&
    options.logger === undefined
  ) {
    return { listener, drain }
  }
  if (options.metricsToken !== undefined && options.metricsToken.length < 16) {
    throw new RangeError('metricsToken must be at least 16 characters')
  }
  const wrapped: NodeListener = (req, res) => {
    const started = performance.now()
    const inbound = req.headers['x-request-id']
    const id =
      options.trustRequestId === true && typeof inbound === 'string' && REQUEST_ID.test(inbound)
        ? inbound
        : randomUUID()
    res.setHeader('x-request-id', id)
    // Event listeners run outside the request's async context: they get the object itself.
    const context: RequestContext = { requestId: id }
    res.once('close', () => record(req, res, options, context, started))
    requestContext.run(context, () => {
      const path = (req.url ?? '').split('?')[0] ?? ''
      if (OPS_PATHS.has(path) && answerOps(req, res, path, options, () => draining)) {
        return
      }
      listener(req, res)
    })
  }
  return { listener: wrapped, drain }
}
