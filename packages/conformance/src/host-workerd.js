/**
 * Runs the suite in workerd, twice: without and with `nodejs_compat`. The worker (worker.js,
 * bundled with the `workerd`/`worker`/`browser` conditions as wrangler does) runs the suite on
 * `POST /__conformance/run` and may reach loopback only; every other request goes to the
 * Cloudflare Worker example, which Node then sends signed, tampered and replayed requests to.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@countersign/core'
import { signRequest } from '@countersign/signer'
import { bundle } from './bundle.js'

function config(flags) {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2026-11-23",
  compatibilityFlags = [${flags.map((f) => `"${f}"`).join(', ')}],
  bindings = [ (name = "PUBLIC_JWK", fromEnvironment = "PUBLIC_JWK") ],
  globalOutbound = "loopback",
);
`
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function waitFor(url, child, log) {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) {
      throw new Error(`workerd exited with ${child.exitCode}:\n${log.text.slice(-2000)}`)
    }
    try {
      await fetch(url)
      return
    } catch {
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  throw new Error(`workerd did not listen on ${url}:\n${log.text.slice(-2000)}`)
}

/** Node's requests to the example worker: valid, tampered, replayed and unsigned. */
async function checksFromNode(url, privateKey) {
  const checks = []
  const check = async (name, request, status, field, value) => {
    const answer = await fetch(request)
    const body = await answer.json()
    const ok = answer.status === status && body[field] === value
    checks.push({
      name: `the worker verifies a request from Node: ${name}`,
      packages: ['verifier'],
      ok,
      ...(ok
        ? {}
        : {
            error: `expected ${status} ${field}=${value}, got ${answer.status} ${JSON.stringify(body)}`,
          }),
    })
  }
  const signed = await signRequest(
    new Request(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    }),
    { key: privateKey },
  )
  await check('signed', signed.clone(), 200, 'keyId', privateKey.keyId)
  await check('replayed', signed.clone(), 401, 'code', 'replayed')
  const tampered = new Request(signed.url, {
    method: 'POST',
    headers: signed.headers,
    body: '{"a":2}',
  })
  await check('body changed', tampered, 401, 'code', 'digest_mismatch')
  await check('unsigned', new Request(`${url}/orders`), 401, 'code', 'signature_missing')
  return checks
}

async function runOnce(dir, flags, net) {
  writeFileSync(join(dir, 'config.capnp'), config(flags))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const { privateKey, publicKey } = await generateKeyPair('ed25519')
  const log = { text: '' }
  const child = spawn(
    'workerd',
    ['serve', 'config.capnp', '--socket-addr', `http=127.0.0.1:${port}`],
    {
      cwd: dir,
      env: { ...process.env, PUBLIC_JWK: JSON.stringify(publicKey.publicJwk()) },
    },
  )
  child.stdout.on('data', (d) => (log.text += d))
  child.stderr.on('data', (d) => (log.text += d))
  const started = new Promise((_, reject) =>
    child.on('error', (e) =>
      reject(new Error(`workerd could not start (${e.code}): run scripts/bootstrap.sh`)),
    ),
  )
  try {
    await Promise.race([waitFor(url, child, log), started])
    const answer = await fetch(`${url}/__conformance/run`, {
      method: 'POST',
      body: JSON.stringify(net),
    })
    if (!answer.ok) {
      throw new Error(
        `the worker answered ${answer.status}: ${(await answer.text()).slice(0, 500)}\n${log.text.slice(-1000)}`,
      )
    }
    const outcome = await answer.json()
    return [...outcome.results, ...(await checksFromNode(url, privateKey))]
  } finally {
    child.kill()
  }
}

export async function runWorkerd(net) {
  const dir = mkdtempSync(join(tmpdir(), 'cs-workerd-'))
  try {
    writeFileSync(
      join(dir, 'worker.js'),
      await bundle('./worker.js', ['workerd', 'worker', 'browser']),
    )
    const plain = await runOnce(dir, [], net)
    const compat = await runOnce(dir, ['nodejs_compat'], net)
    return {
      runtime: 'workerd',
      results: [...plain, ...compat.map((r) => ({ ...r, name: `[nodejs_compat] ${r.name}` }))],
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
