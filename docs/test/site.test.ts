/**
 * The built site in real Chromium, at desktop (1280 px) and phone (390 px) widths: the landing
 * page, a guide and an API page load without console errors or failed requests; the sidebar
 * and the on-page table of contents are visible (on a phone, behind their menus); code blocks
 * are highlighted with copy buttons; searching `replayed` lands on its error page. Screenshots go
 * to `.test-results/screenshots/`.
 *
 * Needs `pnpm run docs` first (it reads `docs/dist`). Never skips: without Chromium or the built
 * site it fails and says why.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { resolve } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStatic } from '../lib/static-server.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ROOT = resolve(import.meta.dirname, '../..')
const DIST = resolve(ROOT, 'docs/dist')
const SHOTS = resolve(import.meta.dirname, '../../.test-results/screenshots')

const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const

let browser: Browser
let server: Server
let origin: string

beforeAll(async () => {
  if (!existsSync(`${DIST}/index.html`)) {
    throw new Error(`No built site in ${DIST}: run \`pnpm run docs\` first.`)
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it or set CHROMIUM_PATH.`)
  }
  mkdirSync(SHOTS, { recursive: true })
  ;({ server, origin } = await serveStatic(DIST))
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
})

afterAll(async () => {
  await browser?.close()
  server?.close()
})

/** A page at `viewport` that records console errors, page errors and failed requests. */
async function open(viewport: keyof typeof VIEWPORTS): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: VIEWPORTS[viewport] })
  // Loopback only: anything else the site tries to load is refused (and reported below).
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => route.abort('blockedbyclient'),
  )
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      errors.push(`console.${m.type()}: ${m.text()}`)
    }
  })
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`))
  page.on('response', (r) => {
    if (r.status() >= 400) {
      errors.push(`HTTP ${r.status()}: ${r.url()}`)
    }
  })
  return { page, errors }
}

async function visit(page: Page, path: string): Promise<void> {
  const response = await page.goto(`${origin}${path}`, { waitUntil: 'networkidle' })
  expect(response?.status(), path).toBe(200)
}

const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false })

/** Whether `selector`'s first match is visible and at least partly inside the viewport. */
async function inViewport(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox()
  const size = page.viewportSize()!
  return (
    box !== null &&
    box.height > 0 &&
    box.y < size.height &&
    box.y + box.height > 0 &&
    box.x < size.width &&
    box.x + box.width > 0
  )
}

for (const viewport of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
  const phone = viewport === 'phone'

  describe(`docs site at ${viewport} width`, () => {
    it('landing page: install tabs, the 30-second example, highlighted code with copy buttons', async () => {
      const { page, errors } = await open(viewport)
      await visit(page, '/')
      await expect(page.locator('.VPHero .name').textContent()).resolves.toContain('Countersign')
      const install = page.locator('.vp-code-group').first()
      await expect(install.locator('.tabs label').allTextContents()).resolves.toEqual([
        'npm',
        'pnpm',
        'Deno',
        'Bun',
      ])
      await expect(
        page.getByText('generateKeyPair', { exact: true }).count(),
      ).resolves.toBeGreaterThan(0)
      // Shiki highlighting: coloured token spans, and a copy button per block.
      await expect(
        page.locator('.vp-doc pre.shiki span[style*="--shiki"]').count(),
      ).resolves.toBeGreaterThan(10)
      await expect(
        page.locator('.vp-doc div[class*="language-"] button.copy').count(),
      ).resolves.toBeGreaterThan(2)
      await expect(page.locator('.coming-from a').allTextContents()).resolves.toEqual([
        'skapi',
        'Kaizala',
        'Icypeas',
        'Kudo',
      ])
      await shot(page, `${viewport}-landing`)
      await page.locator('.coming-from').scrollIntoViewIfNeeded()
      await shot(page, `${viewport}-landing-runtimes`)
      if (!phone) {
        // Dark mode: the switch in the nav bar.
        await page.locator('.VPNavBarAppearance .VPSwitchAppearance').click()
        await expect(page.locator('html').getAttribute('class')).resolves.toMatch(/\bdark\b/)
        await page.evaluate(() => window.scrollTo(0, 0))
        await shot(page, `${viewport}-landing-dark`)
      }
      expect(errors).toEqual([])
    })

    it('guide: sidebar, table of contents and previous/next, and the sidebar stays on screen', async () => {
      const { page, errors } = await open(viewport)
      await visit(page, '/guides/verifying')
      await expect(page.locator('.vp-doc h1').textContent()).resolves.toMatch(/Verifying/)
      await expect(page.locator('.VPDocFooter .pager-link').count()).resolves.toBe(2)
      await expect(page.locator('.VPDocFooter .edit-link a').getAttribute('href')).resolves.toMatch(
        /\/edit\/main\/docs\/guides\/verifying\.md$/,
      )
      if (phone) {
        // The sidebar waits off screen until the menu button opens it.
        await expect(inViewport(page, '.VPSidebar')).resolves.toBe(false)
        await page.locator('.VPLocalNav button.menu').click()
        await page.locator('.VPSidebar.open').waitFor()
        await page.waitForTimeout(500) // the slide-in transition
        await expect(inViewport(page, '.VPSidebar')).resolves.toBe(true)
        await expect(
          page.locator('.VPSidebar a[href="/guides/verifying"]').isVisible(),
        ).resolves.toBe(true)
        await shot(page, `${viewport}-guide-menu`)
        await page.keyboard.press('Escape')
        await page.locator('.VPLocalNavOutlineDropdown button').click()
        await expect(
          page.locator('.VPLocalNavOutlineDropdown .outline-link').first().isVisible(),
        ).resolves.toBe(true)
        await shot(page, `${viewport}-guide-outline`)
        await page.locator('.VPLocalNavOutlineDropdown button').click()
      } else {
        await expect(page.locator('.VPSidebar').isVisible()).resolves.toBe(true)
        await expect(
          page.locator('.VPDocAsideOutline .outline-link').first().isVisible(),
        ).resolves.toBe(true)
        await shot(page, `${viewport}-guide`)
        // Far down the page the sidebar and the table of contents are still in view.
        await page.locator('.VPDocFooter').scrollIntoViewIfNeeded()
        await expect(inViewport(page, '.VPSidebar')).resolves.toBe(true)
        await expect(inViewport(page, '.VPDocAsideOutline')).resolves.toBe(true)
        await shot(page, `${viewport}-guide-bottom`)
      }
      expect(errors).toEqual([])
    })

    it('API page: same site, with the API sidebar', async () => {
      const { page, errors } = await open(viewport)
      await visit(page, '/api/@countersign/verifier/functions/verifyRequest')
      await expect(page.locator('.vp-doc h1').textContent()).resolves.toMatch(/verifyRequest/)
      await expect(page.locator('.VPNavBarTitle').isVisible()).resolves.toBe(true)
      if (phone) {
        await page.locator('.VPLocalNav button.menu').click()
      }
      await expect(
        page.locator('.VPSidebar a[href="/api/@countersign/verifier/"]').isVisible(),
      ).resolves.toBe(true)
      await shot(page, `${viewport}-api`)
      expect(errors).toEqual([])
    })

    it('search: "replayed" lands on the replayed error page', async () => {
      const { page, errors } = await open(viewport)
      await visit(page, '/guides/getting-started')
      await page.locator('#local-search button').click()
      const input = page.locator('.VPLocalSearchBox input')
      await input.fill('replayed')
      await page.locator('.VPLocalSearchBox .result').first().waitFor()
      await shot(page, `${viewport}-search`)
      await input.press('Enter')
      await page.waitForURL((url) => url.pathname === '/errors/replayed')
      // Client-side navigation: the URL changes before the new page renders.
      await page.locator('.vp-doc h1', { hasText: /^replayed/ }).waitFor()
      await expect(page.locator('.error-meta').textContent()).resolves.toContain('401')
      await shot(page, `${viewport}-error-page`)
      expect(errors).toEqual([])
    })
  })
}

describe("the repository README's links into docs/", () => {
  it('each names a file in the clone and a page (and anchor) on the built site', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8')
    const links = [...readme.matchAll(/\]\((docs\/[^)\s#]+\.md)(#[^)\s]*)?\)/g)]
    expect(links.length).toBeGreaterThan(0)
    for (const [, path, hash] of links) {
      expect(existsSync(resolve(ROOT, path!)), path).toBe(true)
      // docs/README.md is the site's overview page (the `rewrites` in .vitepress/config.ts).
      const page = path!.replace(/^docs\//, '').replace(/^README\.md$/, 'overview.md')
      const html = resolve(DIST, page.replace(/\.md$/, '.html'))
      expect(existsSync(html), `${path} -> ${html}`).toBe(true)
      if (hash) {
        expect(readFileSync(html, 'utf8'), `${path}${hash}`).toContain(`id="${hash.slice(1)}"`)
      }
    }
  })
})
