/**
 * Runs the suite in Chromium (Playwright, as packages/client/test/browser.test.ts does): the page
 * comes from the stack's page origin, the suite is bundled with the `browser` condition.
 */
import { chromium } from 'playwright-core'
import { bundle } from './bundle.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function runBrowser(net, stack) {
  stack.web.assets.set('/conformance.js', {
    type: 'text/javascript; charset=utf-8',
    body: await bundle('./browser.js', ['browser']),
  })
  stack.web.assets.set('/conformance.html', {
    type: 'text/html; charset=utf-8',
    body: '<!doctype html><meta charset="utf-8"><script type="module" src="/conformance.js"></script>',
  })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  })
  try {
    const context = await browser.newContext()
    await context.route(
      (url) => url.hostname !== '127.0.0.1',
      (route) => route.abort('blockedbyclient'),
    )
    const page = await context.newPage()
    const errors = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${net.webUrl}/conformance.html`)
    await page.waitForFunction(() => typeof globalThis.csConformance === 'function', null, {
      timeout: 30_000,
    })
    const outcome = await page.evaluate((n) => globalThis.csConformance(n), net)
    if (errors.length > 0) {
      outcome.results.push({
        name: 'the page logs no errors',
        packages: [],
        ok: false,
        error: errors.join('\n'),
      })
    }
    return outcome
  } finally {
    await browser.close()
  }
}
