/**
 * Reading what the client asks for: `{ url, data }` as UTF-8 JSON (`Content-Type:
 * application/json`), or a batch of them as a JSON array, within the relay's size, depth and
 * batch limits.
 *
 * @internal
 * @module
 */
import {
  isJsonObject,
  parseJsonStrict,
  parseMediaType,
  RequestError,
  readRequestBody,
} from '@countersign/core'
import type { Item, RelayContext } from './relay-context.ts'

const FORM_TYPES: ReadonlySet<string> = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
])
const DECODER = new TextDecoder('utf-8', { fatal: true })

/** What a request asks for: one item, or a batch. */
export type RequestedItems =
  | { readonly batch: false; readonly item: Item; readonly bytesIn: number }
  | { readonly batch: true; readonly items: readonly Item[]; readonly bytesIn: number }

function checkContentType(value: string | null): void {
  const type = parseMediaType(value)
  if (type === undefined) {
    throw new RequestError(
      'unsupported_media_type',
      'send { "url", "data" } as JSON with Content-Type: application/json',
    )
  }
  if (FORM_TYPES.has(type.essence)) {
    throw new RequestError(
      'unsupported_media_type',
      'HTML forms are not supported: send { "url", "data" } as JSON with Content-Type: application/json',
    )
  }
  if (type.essence !== 'application/json') {
    throw new RequestError(
      'unsupported_media_type',
      `Content-Type ${type.essence} is not supported: send JSON (application/json)`,
    )
  }
  const charset = type.params.get('charset')
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    throw new RequestError('unsupported_media_type', 'JSON must be UTF-8')
  }
}

function parseItem(value: unknown, where: string): Item {
  if (!isJsonObject(value)) {
    throw new RequestError('malformed', `${where}must be an object { "url": …, "data": … }`)
  }
  for (const key of Object.keys(value)) {
    if (key !== 'url' && key !== 'data') {
      throw new RequestError('malformed', `${where}has an unknown field ${JSON.stringify(key)}`)
    }
  }
  if (typeof value.url !== 'string') {
    throw new RequestError('malformed', `${where}url must be a string`)
  }
  return { url: value.url, data: value.data === undefined ? null : value.data }
}

function parseBatch(values: unknown[], maxBatchSize: number): Item[] {
  if (values.length === 0) {
    throw new RequestError('malformed', 'a batch must hold at least one request')
  }
  if (values.length > maxBatchSize) {
    throw new RequestError('malformed', `a batch holds at most ${maxBatchSize} requests`)
  }
  return values.map((value, i) => parseItem(value, `[${i}]: `))
}

/**
 * Reads the items of a `POST /secure-request`. `onBytes` learns the body's size as soon as it
 * is read (the audit reports it for a body that is then refused).
 *
 * @throws {@link @countersign/core!RequestError} `unsupported_media_type`, `body_too_large`,
 *   `invalid_json` or `malformed`.
 */
export async function readItems(
  context: RelayContext,
  request: Request,
  onBytes: (bytesIn: number) => void,
): Promise<RequestedItems> {
  checkContentType(request.headers.get('content-type'))
  const bytes = await readRequestBody(request, context.maxRequestBytes)
  onBytes(bytes.byteLength)
  let text: string
  try {
    text = DECODER.decode(bytes)
  } catch {
    throw new RequestError('invalid_json', 'the body is not valid UTF-8')
  }
  const parsed = parseJsonStrict(text, { maxDepth: context.maxJsonDepth })
  const bytesIn = bytes.byteLength
  return Array.isArray(parsed)
    ? { batch: true, items: parseBatch(parsed, context.maxBatchSize), bytesIn }
    : { batch: false, item: parseItem(parsed, ''), bytesIn }
}
