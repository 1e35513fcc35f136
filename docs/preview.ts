/**
 * Serves the built site (`docs/dist`) on http://127.0.0.1:4173 with clean URLs.
 *
 * @module
 */
import { serveStatic } from './lib/static-server.ts'

const { origin } = await serveStatic(new URL('dist', import.meta.url).pathname, 4173)
process.stdout.write(`docs site on ${origin}/ (Ctrl-C to stop)\n`)
