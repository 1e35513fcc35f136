/**
 * A request as raw HTTP/1.1 bytes: written by `sign --format http`, read by `verify`.
 *
 * @module
 */
import type { FieldLine } from '@countersign/core'
import { CliError, EXIT } from '../cli-error.ts'

/** A request read from raw HTTP. */
export interface RawRequest {
  method: string
  /** The request target as written (origin form `/path?q`, or absolute form). */
  target: string
  /** The field lines as written (name as written, value trimmed). */
  fields: FieldLine[]
  body: Uint8Array
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

function malformed(message: string): CliError {
  return new CliError(EXIT.failed, `malformed: ${message}`)
}

/** Finds the end of the header section: CRLF CRLF (or LF LF for hand-edited files). */
function headerEnd(bytes: Uint8Array): { end: number; bodyStart: number } {
  for (let i = 0; i < bytes.length - 1; i++) {
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0a) {
      return { end: i, bodyStart: i + 2 }
    }
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) {
      return { end: i, bodyStart: i + 3 }
    }
  }
  throw malformed('no blank line ends the header section')
}

/** The header lines: all CRLF-terminated, or all LF-terminated (a hand-edited file), never mixed. */
function splitLines(head: string): string[] {
  const raw = head.split('\n')
  const crlf = raw[0]?.endsWith('\r') === true
  return raw.map((line, i) => {
    const body = crlf && line.endsWith('\r') ? line.slice(0, -1) : line
    if (body.includes('\r') || (crlf && body === line)) {
      throw malformed(`line ${i + 1} does not end with CRLF like the others`)
    }
    return body
  })
}

/** Parses one request; refuses what a server would (folded lines, bad names, a wrong length). */
export function parseRawRequest(bytes: Uint8Array): RawRequest {
  const { end, bodyStart } = headerEnd(bytes)
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1')
  const lines = splitLines(head)
  const requestLine = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '')
  if (requestLine === null) {
    throw malformed('the first line is not "METHOD target HTTP/1.1"')
  }
  const fields: FieldLine[] = []
  for (const line of lines.slice(1)) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      throw malformed('obsolete line folding')
    }
    const colon = line.indexOf(':')
    const name = colon > 0 ? line.slice(0, colon) : ''
    // Only SP and HTAB are optional whitespace (RFC 9110 5.6.3); String#trim strips more.
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) {
      throw malformed(`bad field line ${JSON.stringify(line.slice(0, 60))}`)
    }
    fields.push([name, value])
  }
  const body = bytes.subarray(bodyStart)
  checkFraming(fields, body.byteLength)
  return { method: requestLine[1] as string, target: requestLine[2] as string, fields, body }
}

function checkFraming(fields: readonly FieldLine[], bodyLength: number): void {
  const lower = (name: string) => fields.filter(([n]) => n.toLowerCase() === name)
  if (lower('transfer-encoding').length > 0) {
    throw malformed('Transfer-Encoding is not supported; give the body with Content-Length')
  }
  const lengths = lower('content-length')
  if (lengths.length > 1) {
    throw malformed('more than one Content-Length')
  }
  const declared = lengths[0]?.[1]
  if (
    declared === undefined
      ? bodyLength !== 0
      : !/^\d+$/.test(declared) || Number(declared) !== bodyLength
  ) {
    throw malformed(
      `the body has ${bodyLength} bytes but Content-Length says ${declared ?? 'none'}`,
    )
  }
}

/** Writes a request as raw HTTP/1.1 with `Host` first and a `Content-Length` for a body. */
export function formatRawRequest(
  method: string,
  url: URL,
  fields: readonly FieldLine[],
  body: Uint8Array,
): Uint8Array {
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`]
  for (const [name, value] of fields) {
    if (name !== 'host' && name !== 'content-length') {
      lines.push(`${name}: ${value}`)
    }
  }
  if (body.byteLength > 0) {
    lines.push(`Content-Length: ${body.byteLength}`)
  }
  const head = new TextEncoder().encode(`${lines.join('\r\n')}\r\n\r\n`)
  const out = new Uint8Array(head.byteLength + body.byteLength)
  out.set(head)
  out.set(body, head.byteLength)
  return out
}
