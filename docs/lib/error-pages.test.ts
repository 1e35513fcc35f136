import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { errorPages } from './error-pages.ts'

const GUIDE = readFileSync(new URL('../guides/errors.md', import.meta.url), 'utf8')

describe('errorPages', () => {
  it('reads status, family, meaning and advice of each code from the guide', () => {
    const pages = errorPages(GUIDE)
    const replayed = pages.find((p) => p.code === 'replayed')
    expect(replayed).toMatchObject({ status: 401, family: 'SignatureError' })
    expect(replayed?.meaning).toMatch(/^The signature's `nonce`/)
    expect(replayed?.advice).toMatch(/^Use a fresh random nonce/)
    expect(replayed?.familyIntro).toMatch(/RFC 9421 signature/)
    // Every page has something to say, and one page per code heading.
    expect(pages.length).toBe([...GUIDE.matchAll(/^### `/gm)].length)
    for (const p of pages) {
      expect(p.meaning, p.code).not.toBe('')
      expect(p.advice, p.code).not.toBe('')
    }
  })

  it('refuses a code section without a status or outside a family', () => {
    expect(() =>
      errorPages('## Request errors (`RequestError`)\n\n### `malformed`\n\nNo status.\n'),
    ).toThrow(/malformed/)
    expect(() => errorPages('### `malformed`\n\n400. Text.\n')).toThrow(/malformed/)
  })
})
