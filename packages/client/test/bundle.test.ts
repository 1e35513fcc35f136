/**
 * Bundle budget: what a browser app pays for `createClient().secureRequest`.
 *
 * Measured 2026-11-23 (esbuild 0.28, minify, platform browser): 11,435 bytes gzipped, of which
 * about 5 KiB is the client and the rest `@countersign/core` code esbuild cannot drop (the
 * crypto backend objects are built at module top level). Signing lives in `rfc9421Signing` and
 * friends, so an app that never signs does not bundle the signer (about 23 KiB gzipped with it).
 */
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

/**
 * The budget: 13 KiB gzipped. It was 12 KiB until every credentialed request went out with
 * `redirect: 'manual'` (same-origin hops re-signed, others refused): about 0.7 KiB, 12,966 bytes.
 */
const BUDGET_BYTES = 13 * 1024

const root = fileURLToPath(new URL('..', import.meta.url))

async function bundle(contents: string) {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (output === undefined) {
    throw new Error('esbuild wrote nothing')
  }
  return {
    text: output.text,
    gzipped: gzipSync(output.contents).byteLength,
    // Modules with bytes in the output (esbuild also lists modules it tree-shook away).
    inputs: Object.values(result.metafile.outputs).flatMap((out) =>
      Object.entries(out.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
    ),
  }
}

describe('bundle budget', () => {
  it(`createClient().secureRequest bundles for the browser in at most ${BUDGET_BYTES} bytes gzipped`, async () => {
    const { gzipped, inputs, text } = await bundle(`
      import { createClient } from './src/index.ts'
      const client = createClient({ relayUrl: 'https://relay.example' })
      client.setSession(async () => ({ token: 'token', expiresAt: Date.now() + 60_000 }))
      client.secureRequest({ url: 'https://api.example.com/v1/x', data: { a: 1 } })
        .then((answer) => console.log(answer.status, answer.data))
    `)
    console.log(`secureRequest bundle: ${gzipped} bytes gzipped (budget ${BUDGET_BYTES})`)
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES)
    // No signer, no structured-field parser, no Node built-ins.
    expect(inputs.some((path) => path.includes('signer'))).toBe(false)
    expect(inputs.some((path) => path.includes('structured-headers'))).toBe(false)
    expect(text).not.toMatch(/from\s*"node:/)
  })

  it('the whole client, signing included, bundles for the browser with no Node built-in', async () => {
    const { text, inputs } = await bundle(`
      import * as client from './src/index.ts'
      console.log(Object.keys(client))
    `)
    // Every export is kept (the namespace is used), so this covers all of the client's code.
    expect(inputs.some((path) => path.includes('signer'))).toBe(true)
    expect(text).not.toMatch(/from\s*"node:|require\("node:/)
  })
})
