import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importKey } from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inProcess, runCli } from './helpers.ts'

let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-cli-sign-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const BODY = '{"order":"ünïcode \' $HOME `x`","n":1}'

const VARIANTS = [
  { alg: 'ed25519', format: 'jwk' },
  { alg: 'ed25519', format: 'pem' },
  { alg: 'ecdsa-p256-sha256', format: 'jwk' },
  { alg: 'ecdsa-p256-sha256', format: 'pem' },
  { alg: 'hmac-sha256', format: 'jwk' },
] as const

describe('keys generate → sign → verify (real processes)', () => {
  for (const { alg, format } of VARIANTS) {
    it(`${alg} as ${format}: the keys import, verify accepts what sign printed`, async () => {
      const priv = join(dir, `${alg}.${format}`)
      const pub = join(dir, `${alg}.pub.${format}`)
      const secret = alg === 'hmac-sha256'
      const generated = await runCli([
        'keys',
        'generate',
        '--alg',
        alg,
        '--format',
        format,
        '--kid',
        `k-${alg}`,
        '--out',
        priv,
        ...(secret ? [] : ['--public-out', pub]),
      ])
      expect(generated.code, generated.stderr).toBe(0)
      const privText = await readFile(priv, 'utf8')
      const keyOptions = format === 'pem' ? { algorithm: alg, keyId: `k-${alg}` } : {}
      const privateKey = await importKey(
        format === 'pem' ? privText : JSON.parse(privText),
        keyOptions,
      )
      expect(privateKey.type).toBe(secret ? 'secret' : 'private')
      expect(privateKey.algorithm).toBe(alg)
      if (!secret) {
        const pubText = await readFile(pub, 'utf8')
        const publicKey = await importKey(
          format === 'pem' ? pubText : (JSON.parse(pubText) as { keys: JsonWebKey[] }).keys[0]!,
          keyOptions,
        )
        expect(publicKey.type).toBe('public')
        expect(publicKey.keyId).toBe(`k-${alg}`)
      }
      const pemArgs = format === 'pem' ? ['--alg', alg, '--key-id', `k-${alg}`] : []
      const signed = await runCli([
        'sign',
        '--key',
        priv,
        ...pemArgs,
        '--format',
        'http',
        '-H',
        'Content-Type: application/json',
        '-d',
        BODY,
        'https://api.test/v1/orders?x=1',
      ])
      expect(signed.code, signed.stderr).toBe(0)
      const request = join(dir, `${alg}-${format}.http`)
      await writeFile(request, signed.bytes)
      const verified = await runCli(['verify', '--key', secret ? priv : pub, ...pemArgs, request])
      expect(verified.code, verified.stderr).toBe(0)
      const proved = JSON.parse(verified.stdout) as Record<string, unknown>
      expect(proved).toMatchObject({
        verified: true,
        keyId: `k-${alg}`,
        algorithm: alg,
        url: 'https://api.test/v1/orders?x=1',
        bodyBytes: Buffer.byteLength(BODY),
      })
      expect(proved.components).toEqual([
        '"@method"',
        '"@target-uri"',
        '"content-digest"',
        '"content-type"',
      ])
      // The same bytes on stdin verify too, in a fresh process (its own nonce memory).
      const fromStdin = await runCli(['verify', '--key', secret ? priv : pub, ...pemArgs], {
        stdin: signed.bytes,
      })
      expect(fromStdin.code, fromStdin.stderr).toBe(0)
    }, 60_000)
  }

  it('refuses the request with any one byte changed', async () => {
    const priv = join(dir, 'sweep.jwk')
    const pub = join(dir, 'sweep.pub.jwk')
    await runCli(['keys', 'generate', '--out', priv, '--public-out', pub, '--kid', 'sweep'])
    const signed = await runCli([
      'sign',
      '--key',
      priv,
      '--format',
      'http',
      '-H',
      'content-type: text/plain',
      '-d',
      'hello world',
      'https://api.test/a',
    ])
    expect(signed.code, signed.stderr).toBe(0)
    const original = signed.bytes
    const tampered = join(dir, 'tampered.http')
    const codes = new Set<string>()
    // Every byte but the HTTP version on the request line (HTTP/1.0 means the same request).
    const version = original.indexOf(' HTTP/1.1\r\n')
    for (let i = 0; i < original.length; i++) {
      if (i > version && i < version + 9) {
        continue
      }
      const copy = Buffer.from(original)
      copy[i] = (copy[i] as number) ^ 0x01
      await writeFile(tampered, copy)
      const result = await inProcess(['verify', '--key', pub, tampered])
      expect(
        result.code,
        `byte ${i} (${JSON.stringify(String.fromCharCode(original[i] as number))}) changed: ${result.stdout}`,
      ).toBe(1)
      codes.add(/^countersign verify: (\w+)/.exec(result.stderr)?.[1] ?? result.stderr)
    }
    expect([...codes]).toEqual(
      expect.arrayContaining(['malformed', 'signature_invalid', 'digest_mismatch']),
    )
    // The untouched request still verifies once in this process, then is a replay.
    await writeFile(tampered, original)
    expect((await inProcess(['verify', '--key', pub, tampered])).code).toBe(0)
    const replay = await inProcess(['verify', '--key', pub, tampered])
    expect(replay.code).toBe(1)
    expect(replay.stderr).toMatch(/^countersign verify: replayed: /)
  }, 120_000)

  it('prints curl arguments a shell reads back exactly', async () => {
    const priv = join(dir, 'curl.jwk')
    await runCli(['keys', 'generate', '--out', priv])
    const signed = await runCli([
      'sign',
      '--key',
      priv,
      '-X',
      'PUT',
      '-H',
      "X-Note: it's $HOME",
      '-d',
      BODY,
      "https://api.test/o'q",
    ])
    expect(signed.code, signed.stderr).toBe(0)
    const echo = `process.stdout.write(JSON.stringify(process.argv.slice(1)))`
    const argv = JSON.parse(
      execFileSync('sh', ['-c', `"$0" -e '${echo}' -- ${signed.stdout}`, process.execPath], {
        encoding: 'utf8',
      }),
    ) as string[]
    expect(argv.slice(0, 3)).toEqual(['-X', 'PUT', "https://api.test/o'q"])
    expect(argv).toContain("x-note: it's $HOME")
    expect(argv.at(-2)).toBe('--data-binary')
    expect(argv.at(-1)).toBe(BODY)
    expect(argv.some((a) => a.startsWith('signature-input: sig1=('))).toBe(true)
  }, 30_000)

  it('refuses raw requests a server would refuse: framing, folding, bad lines', async () => {
    const pub = join(dir, 'sweep.pub.jwk')
    const head = 'POST /a HTTP/1.1\r\nHost: api.test\r\n'
    const cases = [
      `${head}Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi`,
      `${head}Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
      `${head}Content-Length: 3\r\n\r\nhi`,
      `${head}\r\nhi`,
      `${head}X-A: 1\r\n folded\r\n\r\n`,
      `${head}no colon\r\n\r\n`,
      `${head}Bad Name: x\r\n\r\n`,
      `POST /a HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n`,
      `POST /a\r\nHost: api.test\r\n\r\n`,
      'POST /a HTTP/1.1\r\nHost: api.test\r\n',
      `${head}X-A: 1\f\r\n\r\n`,
      'POST /a HTTP/1.1\r\nHost: api.test\n\r\n',
      'POST /a HTTP/1.1\r\nHost: api.test\rX-A: 1\r\n\r\n',
    ]
    for (const raw of cases) {
      const result = await inProcess(['verify', '--key', pub], raw)
      expect(result.code, JSON.stringify(raw)).toBe(1)
      expect(result.stderr, JSON.stringify(raw)).toMatch(
        /^countersign verify: (malformed|duplicate_header|signature_missing)/,
      )
    }
  })
})
