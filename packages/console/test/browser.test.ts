/**
 * The console in real Chromium (Playwright) against the token service on loopback with real
 * SQLite files: sign in; create a key and see it once; use it and watch the verification in the
 * audit log; reroll it and see both keys work during the grace and the old one fail after;
 * revoke a token and see introspection turn inactive; view the signing keys and JWKS; sign out.
 * axe-core checks every page; screenshots go to .test-results/screenshots/console-*.png.
 *
 * This test never skips: without Chromium it fails and says how to get it.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Stack, startStack } from './stack.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = fileURLToPath(new URL('../../../.test-results/screenshots/', import.meta.url))
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

let stack: Stack
let browser: Browser
let page: Page
const problems: string[] = []

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it or set CHROMIUM_PATH`)
  }
  mkdirSync(SHOTS, { recursive: true })
  stack = await startStack()
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
  page = await browser.newPage()
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    // The page's first call asks whether a session exists; before sign-in that is a 401.
    if (message.type() === 'error' && !message.text().includes('status of 401')) {
      problems.push(`console: ${message.text()}`)
    }
  })
  page.on('request', (request) => {
    if (!request.url().startsWith(stack.origin)) {
      problems.push(`network outside loopback: ${request.url()}`)
    }
  })
  page.on('dialog', (dialog) => void dialog.accept())
})

afterAll(async () => {
  await browser?.close()
  await stack?.close()
})

/** axe-core on the page as it is: no serious or critical violation. */
async function checkA11y(name: string): Promise<void> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) stays on.
  await page.evaluate(AXE)
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: {
          run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }>
        }
      }
    ).axe.run()
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }))
  })
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(bad, `${name}: ${JSON.stringify(bad)}`).toEqual([])
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}console-${name}.png`, fullPage: true })
}

async function generate(key: string): Promise<number> {
  const response = await fetch(`${stack.origin}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ file: 'plan.dwg' }),
  })
  await response.body?.cancel()
  return response.status
}

async function introspect(token: string, key: string): Promise<boolean> {
  const response = await fetch(`${stack.origin}/oauth/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': key },
    body: new URLSearchParams({ token }),
  })
  return ((await response.json()) as { active: boolean }).active
}

async function readOnceSecret(): Promise<string> {
  const code = page.locator('.once code[data-secret]').first()
  await code.waitFor()
  return (await code.textContent()) ?? ''
}

async function hideSecret(secret: string): Promise<void> {
  await page.click('#hide-secret')
  await page.locator('.once').waitFor({ state: 'detached' })
  expect(await page.content()).not.toContain(secret)
}

describe('the console in Chromium', () => {
  const shown: string[] = []
  let keyId = ''

  it('signs in with the admin key', async () => {
    const response = await page.goto(`${stack.url}/`)
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
    await page.locator('#admin-key').waitFor()
    await checkA11y('sign-in')
    await shot('sign-in')
    await page.fill('#admin-key', stack.adminKey)
    await page.click('button[type=submit]')
    await page.locator('h1', { hasText: 'API keys' }).waitFor()
    const cookie = (await page.context().cookies()).find((c) => c.name === 'cs_console_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' })
    expect(await page.evaluate(() => document.cookie)).toBe('') // HttpOnly: not readable by script
    expect(await page.content()).not.toContain(stack.adminKey)
  })

  it('creates a key, shows it once, and the page forgets it', async () => {
    await page.fill('#c-name', 'browser app')
    await page.fill('#c-scopes', 'tokens:generate')
    await page.click('form[aria-label="Create a key"] button[type=submit]')
    const key = await readOnceSecret()
    expect(key).toMatch(/^cs_ak_/)
    shown.push(key)
    await page.locator('td', { hasText: 'browser app' }).waitFor()
    keyId =
      (await page.locator('tr', { hasText: 'browser app' }).locator('code').textContent()) ?? ''
    await checkA11y('keys')
    await shot('key-created')
    await hideSecret(key)
    await page.reload()
    await page.locator('td', { hasText: 'browser app' }).waitFor()
    expect(await page.content()).not.toContain(key)
  })

  it('shows the verification of that key in the audit log', async () => {
    expect(await generate(shown[0] as string)).toBe(200)
    await page.goto(`${stack.url}/#audit`)
    const row = page.locator('tr', { hasText: 'POST /generate' }).first()
    await row.waitFor()
    expect(await row.textContent()).toContain(keyId)
    expect(await row.textContent()).toContain('200')
    await expect
      .poll(() => page.locator('tr', { hasText: 'api_key.create' }).count())
      .toBeGreaterThan(0)
    expect(await page.locator('tr', { hasText: 'api_key.create' }).first().textContent()).toContain(
      stack.adminId,
    )
    await checkA11y('audit')
    await shot('audit')
  })

  it('rerolls with a grace period: both keys work, then only the new one', async () => {
    await page.goto(`${stack.url}/#keys`)
    await page.locator(`#grace-${keyId}`).fill('60')
    await page
      .locator('tr', { hasText: 'browser app' })
      .getByRole('button', { name: 'Reroll' })
      .click()
    const fresh = await readOnceSecret()
    expect(fresh).not.toBe(shown[0])
    shown.push(fresh)
    await page.locator('td', { hasText: 'old key until' }).waitFor()
    await shot('reroll')
    await hideSecret(fresh)
    expect(await generate(shown[0] as string)).toBe(200)
    expect(await generate(fresh)).toBe(200)
    stack.advance(61_000)
    expect(await generate(shown[0] as string)).toBe(403)
    expect(await generate(fresh)).toBe(200)
  })

  it('revokes a user token and introspection turns inactive', async () => {
    const introspector = await stack.createKey(['tokens:introspect'])
    const token = await stack.issueUserToken()
    expect(await introspect(token, introspector.key)).toBe(true)
    await page.goto(`${stack.url}/#tokens`)
    await page.fill('#t-token', token)
    await page.getByRole('button', { name: 'Look up' }).click()
    await page.locator('dd', { hasText: 'u_ada' }).waitFor()
    await checkA11y('tokens')
    await page.getByRole('button', { name: 'Revoke' }).click()
    await page.locator('#status', { hasText: 'Token revoked' }).waitFor()
    expect(await introspect(token, introspector.key)).toBe(false)
    expect(await page.content()).not.toContain(token)
    await shot('tokens')
  })

  it('shows the signing-key ring and the JWKS, and rotating now changes the JWKS', async () => {
    await page.goto(`${stack.url}/#signing-keys`)
    await page.locator('#jwks').waitFor()
    const jwks = (await (await fetch(`${stack.origin}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>
    }
    const shownJwks = JSON.parse((await page.locator('#jwks').textContent()) ?? '') as typeof jwks
    expect(shownJwks.keys.map((k) => k.kid)).toEqual(jwks.keys.map((k) => k.kid))
    await page.locator('td', { hasText: 'current' }).waitFor()
    await checkA11y('signing-keys')
    const current =
      (await page.locator('tr', { hasText: 'current' }).locator('code').textContent()) ?? ''
    expect(jwks.keys.map((k) => k.kid)).toContain(current)
    const nextBefore = await page.locator('dd').nth(3).textContent()
    await page.click('#rotate-now')
    await page.locator('#status', { hasText: 'Rotated' }).waitFor()
    const rotated =
      (await page.locator('tr', { hasText: 'current' }).locator('code').textContent()) ?? ''
    expect(rotated).not.toBe(current)
    expect(await page.locator('dd').nth(3).textContent()).not.toBe(nextBefore)
    const served = (await (
      await fetch(`${stack.origin}/.well-known/jwks.json`)
    ).json()) as typeof jwks
    expect(served).not.toEqual(jwks)
    expect(served.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([current, rotated]))
    const retiring = await page.locator('tr', { hasText: 'retiring' }).locator('code').textContent()
    expect(retiring).toBe(current)
    await shot('signing-keys')
  })

  it('signs out: the session no longer works', async () => {
    const cookies = await page.context().cookies()
    await page.click('#sign-out')
    await page.locator('#admin-key').waitFor()
    await shot('signed-out')
    const header = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
    const after = await fetch(`${stack.url}/api/keys`, { headers: { cookie: header } })
    expect(after.status).toBe(401)
    for (const secret of [...shown, stack.adminKey]) {
      expect(await page.content()).not.toContain(secret)
    }
    expect(problems).toEqual([])
  })
})
