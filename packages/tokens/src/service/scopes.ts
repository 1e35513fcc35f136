/**
 * The API-key scopes the token service checks.
 *
 * @module
 */

/** The scopes the token service checks on API keys. */
export const TOKEN_SERVICE_SCOPES: {
  /** `POST /generate`: issue parameter tokens. */
  readonly generate: 'tokens:generate'
  /** `POST /v1/user-tokens`: issue user tokens. */
  readonly issueUserTokens: 'user-tokens:issue'
  /** `POST /oauth/introspect`. */
  readonly introspect: 'tokens:introspect'
  /** `POST /oauth/revoke` (tokens this key issued; with `admin` too, any token). */
  readonly revoke: 'tokens:revoke'
  /** The `/admin/api-keys` routes. */
  readonly admin: 'admin'
} = {
  generate: 'tokens:generate',
  issueUserTokens: 'user-tokens:issue',
  introspect: 'tokens:introspect',
  revoke: 'tokens:revoke',
  admin: 'admin',
}
