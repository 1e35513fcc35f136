/**
 * The published vectors: RFC 9421 (Appendix B and the section examples), RFC 9530 digests and
 * the Countersign profile vectors, read through JSON imports so every runtime gets the same bytes.
 */
import {
  createContentDigest,
  createMemoryStore,
  fromBase64,
  fromBase64Url,
  fromHex,
  importKey,
  utf8,
  verifyContentDigest,
} from '@countersign/core'
import { verifyMessage, verifyRelayRequest } from '@countersign/verifier'
import profile from '../../testkit/vectors/countersign/profile-v1.json' with { type: 'json' }
import b2 from '../../testkit/vectors/rfc/rfc9421-appendix-b2.json' with { type: 'json' }
import b34 from '../../testkit/vectors/rfc/rfc9421-appendix-b3-b4.json' with { type: 'json' }
import keys from '../../testkit/vectors/rfc/rfc9421-keys.json' with { type: 'json' }
import sections from '../../testkit/vectors/rfc/rfc9421-section-examples.json' with { type: 'json' }
import digests from '../../testkit/vectors/rfc/rfc9530-content-digest.json' with { type: 'json' }
import { atTime, codeOf, equal } from './check.js'

const SIGNING_CASES = [...b2.cases, ...b34.cases, ...sections.signingCases]

function messageOf(c) {
  return typeof c.message === 'string' ? b2.messages[c.message] : c.message
}

/**
 * A vector message with its signature fields, as field lines: browsers drop `Date` and
 * `Content-Length` from a `Request` (forbidden request headers), so the vectors go through
 * verifyMessage, as an adapter hands them over, on every runtime alike.
 */
function fieldsOf(m, extra) {
  const body = m.body === undefined || m.body === null ? null : utf8(m.body)
  return { method: m.method, url: m.targetUri, headers: [...m.headers, ...extra], body }
}

async function rfcKey(keyid, algorithm, half) {
  const k = keys.keys[keyid]
  if (k.secretBase64 !== undefined) {
    return importKey(fromBase64(k.secretBase64), { algorithm, keyId: keyid })
  }
  return importKey(half === 'sign' ? k.privateKeyPem : k.publicKeyPem, { algorithm, keyId: keyid })
}

async function verifyOptions(c) {
  const verify = await rfcKey(c.keyid, c.algorithm, 'verify')
  return {
    keys: (id) => (id === c.keyid ? verify : undefined),
    requiredComponents: [],
    requireNonce: false,
    nonceStore: createMemoryStore(),
    ...(c.signatureInput.includes(', ') ? {} : { label: c.label }),
  }
}

function createdOf(c) {
  return c.signatureParameters.find(([name]) => name === 'created')[1]
}

/** Registers the vector tests with `test(name, packages, fn)`. */
export function vectorCases(test) {
  const requests = SIGNING_CASES.filter((c) => {
    const m = messageOf(c)
    return m.type !== 'response' && m.status === undefined
  })
  for (const c of requests) {
    test(`RFC 9421 ${c.id}: the published signature verifies`, ['core', 'verifier'], async () => {
      const message = fieldsOf(messageOf(c), [
        ['Signature-Input', c.signatureInput],
        ['Signature', c.signature],
      ])
      const verified = await atTime(createdOf(c), async () =>
        verifyMessage(message, await verifyOptions(c)),
      )
      equal([verified.keyId, verified.algorithm], [c.keyid, c.algorithm], 'keyid and algorithm')
      equal(verified.components, c.coveredComponents, 'components')
    })
  }
  for (const c of SIGNING_CASES.filter((x) => x.deterministic)) {
    test(
      `RFC 9421 ${c.id}: the key signs the signature base to the published bytes`,
      ['core'],
      async () => {
        const key = await rfcKey(c.keyid, c.algorithm, 'sign')
        const signature = await key.sign(utf8(c.signatureBase))
        equal(fromBase64(c.signatureValueBase64), signature, 'signature bytes')
      },
    )
  }
  const b4 = SIGNING_CASES.find((c) => c.id === 'B.4')
  for (const variant of b4.transformedVariants) {
    test(`RFC 9421 B.4 variant: ${variant.description}`, ['verifier'], async () => {
      const message = fieldsOf(variant.message, [
        ['Signature-Input', b4.signatureInput],
        ['Signature', b4.signature],
      ])
      const code = await atTime(createdOf(b4), async () =>
        codeOf(verifyMessage(message, await verifyOptions(b4))),
      )
      equal(code, variant.expectVerify ? 'resolved' : 'signature_invalid', 'outcome')
    })
  }
  digestCases(test)
  profileCases(test)
}

function digestCases(test) {
  for (const c of digests.cases.filter((x) => x.expected !== undefined)) {
    test(`RFC 9530 ${c.id}: ${c.field} digest`, ['core'], async () => {
      const body = c.bodyHex === undefined ? utf8(c.bodyUtf8) : fromHex(c.bodyHex.replace(/ /g, ''))
      const algorithm = c.expected.slice(0, c.expected.indexOf('='))
      equal(await createContentDigest(body, algorithm), c.expected, 'computed digest')
      equal(await verifyContentDigest(c.expected, body), [algorithm], 'verified algorithms')
      if (c.mustReject !== undefined) {
        equal(await codeOf(verifyContentDigest(c.mustReject, body)), 'digest_mismatch', 'refusal')
      }
    })
  }
}

async function profileKey(spec) {
  if (spec.jwk !== undefined) {
    return importKey(spec.jwk, { keyId: spec.keyId ?? spec.jwk.kid })
  }
  return importKey(fromBase64Url(spec.secret), { algorithm: 'hmac-sha256', keyId: spec.keyId })
}

function bound(value) {
  return value === null ? Number.MAX_SAFE_INTEGER : value
}

async function runProfile(c) {
  const key = await profileKey(c.key)
  const o = c.options ?? {}
  const nonceStore = createMemoryStore()
  for (const nonce of o.seenNonces ?? []) {
    await nonceStore.consumeOnce(`sig-nonce:${nonce}`, 3600)
  }
  const keys = (id) => (id === key.keyId ? key : undefined)
  const body = c.bodyBase64 !== undefined ? fromBase64(c.bodyBase64) : utf8(c.body ?? '')
  const common = { keys, nonceStore, fieldLines: c.headers }
  const optional = (name, value) => (value === undefined ? {} : { [name]: value })
  if (o.relay) {
    const init = { method: c.method, headers: c.headers }
    const request = new Request(c.url, body.length === 0 ? init : { ...init, body })
    return verifyRelayRequest(request, {
      ...common,
      ...optional('relayTag', o.tag),
      ...optional('maxAgeSeconds', o.maxAge === undefined ? undefined : bound(o.maxAge)),
    })
  }
  return verifyMessage(
    { method: c.method, url: c.url, headers: c.headers, body: body.length === 0 ? null : body },
    {
      keys,
      nonceStore,
      ...optional('requiredComponents', o.requiredComponents),
      ...optional('maxAgeSeconds', o.maxAge === undefined ? undefined : bound(o.maxAge)),
      ...optional('maxFutureSeconds', o.maxFuture === undefined ? undefined : bound(o.maxFuture)),
      ...optional('tag', o.tag),
      ...optional('label', o.label),
      ...optional('requireNonce', o.requireNonce),
    },
  )
}

function profileCases(test) {
  for (const c of profile.cases) {
    test(`profile vector ${c.id}`, ['core', 'verifier'], async () => {
      const outcome = await atTime(c.now, () =>
        runProfile(c).then(
          (result) => ({ code: 'resolved', keyId: (result.verified ?? result).keyId }),
          (error) => ({ code: error?.code ?? String(error) }),
        ),
      )
      if (c.expected.valid) {
        equal(outcome, { code: 'resolved', keyId: c.expected.keyId ?? outcome.keyId }, 'outcome')
      } else {
        equal(outcome.code, c.expected.code, 'refusal code')
      }
    })
  }
}
