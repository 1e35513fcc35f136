/** Keeps docs/spec/secrets.md true: its worked example and scanner regexes are checked here. */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { fromBase62, toBase62, toHex } from '../src/encoding.ts'
import { checkSecret, formatSecret, generateSecret, parseSecret } from '../src/secrets.ts'

const doc = readFileSync(new URL('../../../docs/spec/secrets.md', import.meta.url), 'utf8')

/** The worked-example table as `step -> value` (first backticked span, else the raw cell). */
function exampleTable(): Map<string, string> {
  const section = doc.slice(doc.indexOf('## Worked example'), doc.indexOf('## Validating'))
  const rows = new Map<string, string>()
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim())
    if (cells.length === 4 && cells[1] !== 'step' && !cells[1]!.startsWith('-')) {
      rows.set(cells[1]!, cells[2]!)
    }
  }
  return rows
}
const code = (cell: string | undefined) => /`([^`]+)`/.exec(cell ?? '')?.[1]

describe('docs/spec/secrets.md', () => {
  const rows = exampleTable()
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => i)

  it('worked example matches the code', () => {
    expect(rows.size).toBe(8)
    const secret = code(rows.get('secret'))!
    expect(formatSecret('cs_ak', bytes)).toBe(secret)
    expect(code(rows.get('body bytes (hex)'))).toBe(toHex(bytes))
    expect(rows.get('body as an integer')).toBe(BigInt(`0x${toHex(bytes)}`).toString())
    const body = code(rows.get('body, base62 (43)'))!
    expect(toBase62(bytes, 43)).toBe(body)
    expect(fromBase62(body, 32)).toEqual(bytes)
    expect(code(rows.get('checksum input (ASCII)'))).toBe(`cs_ak_${body}`)
    const crc = crc32(Buffer.from(`cs_ak_${body}`, 'ascii'))
    expect(rows.get('CRC-32')).toBe(
      `\`0x${crc.toString(16).toUpperCase()}\` (${crc}), bytes \`${crc
        .toString(16)
        .match(/../g)
        ?.join(' ')}\``,
    )
    const checksum = code(rows.get('checksum, base62 (6)'))!
    expect(parseSecret(secret)).toEqual({ prefix: 'cs_ak', body, checksum })
    expect(code(rows.get('storage hash'))).toBe(
      createHash('sha256').update(secret, 'utf8').digest('base64url'),
    )
  })

  it('states the maximum body and the CRC-32 check value correctly', () => {
    const max = toBase62(new Uint8Array(32).fill(0xff), 43)
    expect(doc.split(max).length - 1).toBe(2)
    expect(crc32('123456789').toString(16).toUpperCase()).toBe('CBF43926')
    expect(doc).toContain('`0xCBF43926`')
  })

  it('scanner regexes find generated secrets and only at word boundaries', () => {
    const blocks = [...doc.matchAll(/```regex\n(.+)\n```/g)].map((m) => new RegExp(m[1]!, 'g'))
    expect(blocks).toHaveLength(2)
    const [specific, generic] = blocks as [RegExp, RegExp]
    for (const prefix of ['cs_pt', 'cs_ak', 'cs_sk']) {
      const secret = generateSecret(prefix)
      for (const re of [specific, generic]) {
        expect(`key=${secret};`.match(re)).toEqual([secret])
        expect(`"${secret}"\n`.match(re)).toEqual([secret])
        expect(`${secret}a`.match(re)).toBeNull()
        expect(`${secret.slice(0, -1)}`.match(re)).toBeNull()
      }
      expect(`x${secret}`.match(specific)).toBeNull()
    }
    const custom = generateSecret('acme_live')
    const found = `export KEY=${custom}`.match(generic)
    expect(found).toEqual([custom])
    expect(checkSecret(found![0], 'acme_live')).toBe(true)
    expect(`export KEY=${custom}`.match(specific)).toBeNull()
  })
})
