/**
 * Turning the token service's log events into audit events.
 *
 * @module
 */
import type { TokenServiceLogEvent } from '@countersign/tokens'
import type { AuditEventType, AuditStore } from './audit-store.ts'

function typeOf(route: string): AuditEventType | undefined {
  if (route.includes('/.well-known/')) {
    return undefined
  }
  if (route.includes(' /admin/')) {
    return 'admin'
  }
  if (route === 'POST /generate' || route === 'POST /v1/user-tokens') {
    return 'issuance'
  }
  if (route === 'POST /oauth/revoke') {
    return 'revocation'
  }
  return 'verification'
}

/**
 * A token-service `logger` that records every request (except JWKS fetches) as an audit event:
 * route, status, code and the calling key's id; never a token or key. Failures of the audit
 * store are reported to `onError` and never reach the request.
 *
 * @example
 * ```ts
 * const service = createTokenService({ store, issuer, logger: tokenServiceAuditLogger(audit) })
 * ```
 *
 * @throws never.
 */
export function tokenServiceAuditLogger(
  audit: AuditStore,
  onError: (error: unknown) => void = () => {},
): (event: TokenServiceLogEvent) => void {
  return (event) => {
    const type = typeOf(event.route)
    if (type === undefined) {
      return
    }
    audit
      .append({
        type,
        action: event.route,
        status: event.status,
        ...(event.keyId === undefined ? {} : { keyId: event.keyId, actor: event.keyId }),
        ...(event.code === undefined ? {} : { code: event.code }),
      })
      .catch(onError)
  }
}
