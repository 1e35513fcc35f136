/**
 * `countersign verify`: verifies a raw HTTP request (from a file or stdin) against a key or a
 * JWKS, and prints what was proved or the error code.
 *
 * @module
 */
import {
  createRemoteJwks,
  type FieldLine,
  isCountersignError,
  type Key,
  toBase64Url,
} from '@countersign/core'
import type { KeyResolver, ReceivedRequest } from '@countersign/verifier'
import { CliError, EXIT } from '../cli-error.ts'
import type { Command, OptionValues } from '../command.ts'
import { loadKeys } from '../internal/load-key.ts'
import { integerOption, stringOption } from '../internal/options.ts'
import { parseRawRequest } from '../internal/raw-http.ts'
import { readUserFile } from '../internal/read-text-file.ts'
import type { CliIo } from '../io.ts'

const MAX_REQUEST_BYTES = 16 * 1024 * 1024

const HELP = `Usage: countersign verify (--key FILE | --jwks FILE|URL) [options] [REQUEST_FILE]

Reads one raw HTTP/1.1 request (as 'countersign sign --format http' prints it) from
REQUEST_FILE, or stdin when absent or "-", verifies its RFC 9421 signature and Content-Digest,
and prints what was proved as JSON. A refusal prints its error code on stderr.

Options:
  --key FILE         A public (or private) JWK, a JWKS file, or a PEM key (with --alg)
  --alg A            The algorithm of a PEM key
  --key-id ID        The keyid of a PEM key (default: its RFC 7638 thumbprint)
  --jwks FILE|URL    A JWKS file, or its https URL (http only on loopback)
  --origin URL       Scheme and authority of the target URI (default https://<Host>)
  --tag T            Accept only signatures with this tag
  --label L          Check only the signature with this label
  --max-age S        How old "created" may be, in seconds (default 300)
  -h, --help         Show this help

Exit codes: 0 verified, 1 refused (the code is printed: signature_invalid, digest_mismatch, …),
2 bad usage, 3 unreadable or unusable key file.`

async function readRequest(path: string | undefined, io: CliIo): Promise<Uint8Array> {
  if (path !== undefined && path !== '-') {
    return readUserFile(path, 'request file', EXIT.usage)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    size += bytes.byteLength
    if (size > MAX_REQUEST_BYTES) {
      throw new CliError(
        EXIT.usage,
        `the request on stdin is larger than ${MAX_REQUEST_BYTES} bytes`,
      )
    }
    chunks.push(bytes)
  }
  return Buffer.concat(chunks)
}

async function keysOf(values: OptionValues): Promise<KeyResolver> {
  const keyFile = stringOption(values, 'key')
  const jwks = stringOption(values, 'jwks')
  if ((keyFile === undefined) === (jwks === undefined)) {
    throw new CliError(EXIT.usage, 'give one of --key FILE or --jwks FILE|URL')
  }
  if (jwks !== undefined && /^https?:\/\//i.test(jwks)) {
    try {
      return createRemoteJwks(jwks)
    } catch (error) {
      throw new CliError(EXIT.usage, `--jwks: ${error instanceof Error ? error.message : error}`)
    }
  }
  const keys = await loadKeys({
    file: (keyFile ?? jwks) as string,
    algorithm: stringOption(values, 'alg'),
    keyId: stringOption(values, 'key-id'),
  })
  const byId = new Map<string, Key>(keys.map((key) => [key.keyId, key]))
  return (keyId) => byId.get(keyId)
}

function targetUrl(target: string, fields: readonly FieldLine[], origin: string | undefined): URL {
  if (!target.startsWith('/')) {
    try {
      return new URL(target)
    } catch {
      throw new CliError(EXIT.failed, 'malformed: the request target is not a path or URL')
    }
  }
  const hosts = fields.filter(([name]) => name.toLowerCase() === 'host')
  if (hosts.length !== 1 && origin === undefined) {
    throw new CliError(EXIT.failed, 'malformed: the request needs exactly one Host (or --origin)')
  }
  try {
    const url = new URL(target, origin ?? `https://${hosts[0]?.[1]}`)
    if (!url.pathname.startsWith('/') || `${url.pathname}${url.search}` !== target) {
      throw new Error('changed')
    }
    return url
  } catch {
    throw new CliError(EXIT.failed, 'malformed: the target and Host do not form a URL')
  }
}

export const verify: Command = {
  name: 'verify',
  summary: 'verify a raw HTTP request against a key or JWKS',
  help: HELP,
  options: {
    key: { type: 'string' },
    alg: { type: 'string' },
    'key-id': { type: 'string' },
    jwks: { type: 'string' },
    origin: { type: 'string' },
    tag: { type: 'string' },
    label: { type: 'string' },
    'max-age': { type: 'string' },
  },
  positionals: { min: 0, max: 1, name: 'REQUEST_FILE' },
  async run(values, positionals, io) {
    const keys = await keysOf(values)
    const maxAgeSeconds = integerOption(values, 'max-age', 300, 1, 31_536_000)
    const raw = parseRawRequest(await readRequest(positionals[0], io))
    const url = targetUrl(raw.target, raw.fields, stringOption(values, 'origin'))
    const message: ReceivedRequest = {
      method: raw.method,
      url,
      headers: raw.fields,
      body: raw.body,
      ...(raw.target.startsWith('/') ? {} : { requestTarget: raw.target }),
    }
    const { verifyMessage } = await import('@countersign/verifier')
    const tag = stringOption(values, 'tag')
    const label = stringOption(values, 'label')
    try {
      const proved = await verifyMessage(message, {
        keys,
        maxAgeSeconds,
        maxBodyBytes: MAX_REQUEST_BYTES,
        ...(tag === undefined ? {} : { tag }),
        ...(label === undefined ? {} : { label }),
      })
      const digest = await crypto.subtle.digest('SHA-256', proved.body as Uint8Array<ArrayBuffer>)
      const result = {
        verified: true,
        keyId: proved.keyId,
        algorithm: proved.algorithm,
        label: proved.label,
        components: proved.components,
        params: proved.params,
        method: raw.method,
        url: url.href,
        bodyBytes: proved.body.byteLength,
        bodySha256: toBase64Url(new Uint8Array(digest)),
      }
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      return EXIT.ok
    } catch (error) {
      if (isCountersignError(error)) {
        throw new CliError(EXIT.failed, `${error.code}: ${error.message}`)
      }
      throw error
    }
  },
}
