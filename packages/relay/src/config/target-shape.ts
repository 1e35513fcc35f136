/**
 * The shape of the relay's targets, in the file and in code.
 *
 * @internal
 * @module
 */
import { hostRefusal } from '../ssrf/parse-host.ts'
import { decodeSecret } from './decode-secret.ts'
import { parseBaseUrl } from './parse-base-url.ts'
import { inlineSecret, REFERENCE_SCHEMAS, secretRef } from './secret-shape.ts'
import {
  boolean,
  type Ctx,
  custom,
  integer,
  isObj,
  list,
  type Obj,
  object,
  oneOf,
  optional,
  report,
  required,
  type Shape,
  text,
} from './shape-kit.ts'

const MIN_SECRET_BYTES = 32
/** 1-128 visible ASCII characters: a key id. */
export const KEY_ID = text({
  pattern: /^[\x21-\x7e]{1,128}$/,
  hint: 'must be 1-128 visible ASCII characters',
  strict: true,
})

function baseUrlIssues(url: URL, target: Obj, ctx: Ctx): string[] {
  const issues: string[] = []
  if (url.protocol === 'http:' && target.allowHttp !== true && ctx.root.localDevelopment !== true) {
    issues.push(
      'must be an https URL; set allowHttp: true on the target (or localDevelopment: true) for plain http',
    )
  }
  const refusal = hostRefusal(url.hostname, {
    allowPrivateNetwork: target.allowPrivateNetwork === true,
  })
  if (refusal !== undefined) {
    issues.push(
      hostRefusal(url.hostname, { allowPrivateNetwork: true }) !== undefined
        ? `${refusal}, which the relay never connects to`
        : `${refusal}; set allowPrivateNetwork: true to allow private and loopback hosts`,
    )
  }
  return issues
}

const baseUrl = text({
  format: 'uri',
  further(value, path, ctx, target) {
    const parsed = parseBaseUrl(value)
    const issues = 'error' in parsed ? [parsed.error] : baseUrlIssues(parsed.url, target, ctx)
    for (const issue of issues) {
      report(ctx, path, issue)
    }
  },
})

/** Whether `value` looks like an imported core key. */
export function isKeyLike(value: unknown): value is { algorithm: string; type: string } {
  return (
    isObj(value) &&
    typeof value.algorithm === 'string' &&
    typeof value.type === 'string' &&
    typeof value.keyId === 'string' &&
    typeof value.sign === 'function'
  )
}

function checkInlineHmac(text: string, path: string, ctx: Ctx): void {
  const bytes = decodeSecret(text)
  if (bytes === undefined) {
    report(ctx, path, 'must be unpadded base64url')
  } else if (bytes.byteLength < MIN_SECRET_BYTES) {
    report(ctx, path, `must decode to at least ${MIN_SECRET_BYTES} bytes`)
  }
}

/** The HMAC secret of a target: base64url text (a reference in the file), or in code bytes or a key. */
const hmacSecret = custom<string | { env: string } | { file: string }>(
  { oneOf: [{ type: 'string', pattern: '^[A-Za-z0-9_-]{43,}$' }, ...REFERENCE_SCHEMAS] },
  (value, path, ctx, signing) => {
    const algorithm = signing.algorithm ?? 'ed25519'
    if (algorithm === 'ed25519') {
      report(ctx, path, 'is only for hmac-sha256; ed25519 signs with the relay keys')
      return
    }
    if (algorithm !== 'hmac-sha256') {
      return
    }
    if (ctx.mode === 'code' && value instanceof Uint8Array) {
      if (value.byteLength < MIN_SECRET_BYTES) {
        report(ctx, path, `must be at least ${MIN_SECRET_BYTES} bytes`)
      }
      return
    }
    if (ctx.mode === 'code' && isKeyLike(value)) {
      if (value.algorithm !== 'hmac-sha256' || value.type !== 'secret') {
        report(ctx, path, 'must be an hmac-sha256 secret key')
      }
      return
    }
    const inline = inlineSecret(value, path, ctx)
    if (inline !== undefined && inline.length > 0) {
      checkInlineHmac(inline, path, ctx)
    }
  },
)

const signing = object({
  algorithm: optional(oneOf(['ed25519', 'hmac-sha256']), 'How the relay signs. Default ed25519.'),
  secret: optional(
    hmacSecret,
    'The hmac-sha256 secret: unpadded base64url of at least 32 bytes.',
    (parent) =>
      parent.algorithm === 'hmac-sha256'
        ? 'is required for hmac-sha256 (unpadded base64url, at least 32 bytes)'
        : undefined,
  ),
  keyId: optional(KEY_ID, 'The keyid parameter of the signature.'),
})

/** A target's shape. */
export const target = object({
  id: required(
    text({
      pattern: /^[A-Za-z0-9._-]{1,64}$/,
      hint: 'must be 1-64 characters of A-Z a-z 0-9 . _ -',
    }),
    'The target id: 1-64 characters of A-Z a-z 0-9 . _ -',
  ),
  baseUrl: required(baseUrl, 'Where the API is: an https URL, with an optional path prefix.'),
  signing: optional(signing, 'How forwards to this target are signed. Default ed25519.'),
  timeoutMs: optional(integer(1, 300_000), 'The upstream timeout.'),
  maxBodyBytes: optional(integer(1, 64 * 1024 * 1024), 'The largest upstream response body.'),
  allowPrivateNetwork: optional(boolean(), 'Allow private and loopback hosts.'),
  allowHttp: optional(boolean(), 'Allow a plain http baseUrl.'),
  skapiCompat: optional(
    object({ apiKey: required(secretRef(), 'The API key sent to a skapi-style API.') }),
    'Also send a skapi-style API key.',
  ),
})

function targetsAfterEach(): (item: unknown, path: string, ctx: Ctx) => void {
  const ids = new Map<string, number>()
  const prefixes = new Map<string, number>()
  let index = 0
  return (item, path, ctx) => {
    const i = index++
    if (!isObj(item)) {
      return
    }
    const duplicate = (seen: Map<string, number>, key: string, member: string): void => {
      const first = seen.get(key)
      if (first === undefined) {
        seen.set(key, i)
      } else {
        report(ctx, `${path}.${member}`, `duplicates targets[${first}].${member}`)
      }
    }
    if (typeof item.id === 'string') {
      duplicate(ids, item.id, 'id')
    }
    if (typeof item.baseUrl === 'string') {
      const parsed = parseBaseUrl(item.baseUrl)
      if (!('error' in parsed)) {
        duplicate(prefixes, parsed.origin + parsed.prefix, 'baseUrl')
      }
    }
  }
}

/** The registered targets: at least one, ids and base URLs unique. */
export const targets: Shape<(typeof target extends Shape<infer T> ? T : never)[]> = list(target, {
  nonEmpty: 'must list at least one target',
  afterEach: targetsAfterEach,
})

/** Whether some target signs with ed25519, and so needs the relay keys. */
export function needsRelayKeys(root: Obj): boolean {
  return (
    Array.isArray(root.targets) &&
    root.targets.some(
      (t: unknown) =>
        isObj(t) && (!isObj(t.signing) || (t.signing.algorithm ?? 'ed25519') === 'ed25519'),
    )
  )
}
