/**
 * The console's page and its built assets (bundled by esbuild at build time into
 * `ui-assets.generated.ts`, so they ship inside the package and are served with no network
 * access). The page has no inline script or style; the CSP forbids both.
 *
 * @module
 */
import { APP_CSS, APP_JS } from '../ui-assets.generated.ts'
import { SECURITY_HEADERS } from './http.ts'

const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b3d6b"/><path d="M4 8l3 3 5-6" stroke="#fff" stroke-width="2" fill="none"/></svg>'

function page(basePath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Countersign console</title>
<link rel="stylesheet" href="${basePath}/app.css">
<link rel="icon" href="${basePath}/favicon.svg" type="image/svg+xml">
<script type="module" src="${basePath}/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><p class="brand">Countersign console</p><nav id="nav" aria-label="Sections"></nav></header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<div id="status" role="status" aria-live="polite"></div>
</body>
</html>
`
}

/** The page or an asset for a GET under the base path, or `undefined`. */
export function asset(basePath: string, path: string): Response | undefined {
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', page(basePath)],
    '/app.js': ['text/javascript; charset=utf-8', APP_JS],
    '/app.css': ['text/css; charset=utf-8', APP_CSS],
    '/favicon.svg': ['image/svg+xml', FAVICON],
  }
  const file = Object.hasOwn(files, path) ? files[path] : undefined
  if (file === undefined) {
    return undefined
  }
  return new Response(file[1], { headers: { ...SECURITY_HEADERS, 'content-type': file[0] } })
}
