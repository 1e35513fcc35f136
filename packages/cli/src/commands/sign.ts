/**
 * `countersign sign`: signs a request given as method, URL, headers and body, and prints it as
 * curl arguments or raw HTTP.
 *
 * @module
 */
import type { FieldLine } from '@countersign/core'
import { CliError, EXIT } from '../cli-error.ts'
import type { Command, OptionValues } from '../command.ts'
import { loadKeys } from '../internal/load-key.ts'
import { choiceOption, integerOption, listOption, stringOption } from '../internal/options.ts'
import { formatRawRequest } from '../internal/raw-http.ts'
import { readUserFile } from '../internal/read-text-file.ts'
import { shellQuote } from '../internal/shell-quote.ts'

const HELP = `Usage: countersign sign --key FILE [options] URL

Signs the request with RFC 9421 (Signature-Input, Signature, and Content-Digest for a body) and
prints it: as curl arguments (default), or as raw HTTP/1.1 that 'countersign verify' reads.

Options:
  --key FILE         Private JWK, PKCS#8 PEM (with --alg) or HMAC JWK (kty "oct")
  --alg A            The key's algorithm (needed for PEM; inferred from a JWK)
  --key-id ID        The keyid (default: the JWK's kid, else its RFC 7638 thumbprint)
  -X, --method M     The method (default GET, or POST with a body)
  -H, --header H     A header "Name: value" (repeatable)
  -d, --data TEXT    The body, as UTF-8 text
  --data-file FILE   The body, from a file (bytes as they are)
  --components LIST  Covered components, comma-separated
                     (default @method,@target-uri,content-digest,content-type)
  --tag T            The tag parameter
  --expires-in S     Add expires = created + S seconds
  --format F         curl | http (default curl)
  -h, --help         Show this help

Exit codes: 0 printed, 2 bad usage, 3 unreadable or unusable key file.`

function headerLines(values: OptionValues): FieldLine[] {
  return listOption(values, 'header').map((header) => {
    const colon = header.indexOf(':')
    const name = colon > 0 ? header.slice(0, colon).trim() : ''
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new CliError(EXIT.usage, `--header ${JSON.stringify(header)} is not "Name: value"`)
    }
    return [name, header.slice(colon + 1).trim()]
  })
}

async function bodyOf(values: OptionValues): Promise<Uint8Array> {
  const text = stringOption(values, 'data')
  const file = stringOption(values, 'data-file')
  if (text !== undefined && file !== undefined) {
    throw new CliError(EXIT.usage, 'use either --data or --data-file, not both')
  }
  if (file !== undefined) {
    return readUserFile(file, 'body file', EXIT.usage)
  }
  return new TextEncoder().encode(text ?? '')
}

function asCurl(
  method: string,
  url: string,
  fields: readonly FieldLine[],
  body: Uint8Array,
): string {
  const parts = ['-X', shellQuote(method), shellQuote(url)]
  for (const [name, value] of fields) {
    parts.push('-H', shellQuote(`${name}: ${value}`))
  }
  if (body.byteLength > 0) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(body)
    if (new TextEncoder().encode(text).byteLength !== body.byteLength || text.includes('\0')) {
      throw new CliError(EXIT.usage, 'the body is not UTF-8 text: use --format http')
    }
    parts.push('--data-binary', shellQuote(text))
  }
  return `${parts.join(' ')}\n`
}

export const sign: Command = {
  name: 'sign',
  summary: 'sign a request; print curl arguments or raw HTTP',
  help: HELP,
  options: {
    key: { type: 'string' },
    alg: { type: 'string' },
    'key-id': { type: 'string' },
    method: { type: 'string', short: 'X' },
    header: { type: 'string', short: 'H', multiple: true },
    data: { type: 'string', short: 'd' },
    'data-file': { type: 'string' },
    components: { type: 'string' },
    tag: { type: 'string' },
    'expires-in': { type: 'string' },
    format: { type: 'string' },
  },
  positionals: { min: 1, max: 1, name: 'URL' },
  async run(values, positionals, io) {
    const file = stringOption(values, 'key')
    if (file === undefined) {
      throw new CliError(EXIT.usage, '--key FILE is required')
    }
    const format = choiceOption(values, 'format', ['curl', 'http'] as const, 'curl')
    let url: URL
    try {
      url = new URL(positionals[0] as string)
    } catch {
      throw new CliError(EXIT.usage, `${positionals[0]} is not an absolute URL`)
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new CliError(EXIT.usage, 'the URL must be http or https')
    }
    const body = await bodyOf(values)
    const method = stringOption(values, 'method') ?? (body.byteLength > 0 ? 'POST' : 'GET')
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) {
      throw new CliError(EXIT.usage, '--method must be an HTTP method token')
    }
    const expiresIn = integerOption(values, 'expires-in', 0, 1, 31_536_000)
    const components = stringOption(values, 'components')
      ?.split(',')
      .map((c) => c.trim())
      .filter((c) => c.length > 0)
    const [key] = await loadKeys({
      file,
      algorithm: stringOption(values, 'alg'),
      keyId: stringOption(values, 'key-id'),
    })
    const { signRequest } = await import('@countersign/signer')
    let signed: Request
    try {
      const headers = new Headers(headerLines(values) as [string, string][])
      const request = new Request(url, {
        method,
        headers,
        ...(body.byteLength > 0 ? { body: body as Uint8Array<ArrayBuffer> } : {}),
      })
      const tag = stringOption(values, 'tag')
      signed = await signRequest(request, {
        key: key as NonNullable<typeof key>,
        ...(components === undefined ? {} : { components }),
        ...(tag === undefined ? {} : { tag }),
        ...(expiresIn === 0 ? {} : { expiresIn }),
      })
    } catch (error) {
      throw new CliError(EXIT.usage, error instanceof Error ? error.message : String(error))
    }
    const fields = [...signed.headers] as FieldLine[]
    io.stdout.write(
      format === 'curl'
        ? asCurl(signed.method, signed.url, fields, body)
        : formatRawRequest(signed.method, new URL(signed.url), fields, body),
    )
    return EXIT.ok
  },
}
