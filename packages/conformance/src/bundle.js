/** Bundles one of the suite's entries with esbuild for a Web runtime (Chromium or workerd). */
import { build } from 'esbuild'

/** `conditions` are the export conditions the runtime's own bundler would use. */
export async function bundle(entry, conditions) {
  const result = await build({
    entryPoints: [new URL(entry, import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions,
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0].text
}
