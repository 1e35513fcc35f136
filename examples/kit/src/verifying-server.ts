/**
 * The end-to-end check the Deno, Bun and Worker examples share: starts the example's server as
 * a child process with a fresh Ed25519 public key in `PUBLIC_JWK` and a free port in `PORT`,
 * waits for its `listening on <url>` line, then sends it, from Node, a signed request (200), the
 * same request again (401 `replayed`), one whose body changed after signing (401
 * `digest_mismatch`) and an unsigned one (401 `signature_missing`).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { generateKeyPair } from '@countersign/core'
import { signRequest } from '@countersign/signer'
import { expect, finish, section, step } from './steps.ts'

/** How to start the server: a command, its arguments and folder. */
export interface ServerCommand {
  label: string
  command: string
  args: string[]
  cwd: string
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(
      () => reject(new Error(`no "listening on" line in 30 s:\n${output}`)),
      30_000,
    )
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1] as string)
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('error', (error) => reject(new Error(`${String(error)}: run scripts/bootstrap.sh`)))
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)))
  })
}

async function answer(
  request: Request,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(request)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** Runs the four checks against the server `server` starts; sets the exit code. */
export async function checkVerifyingServer(server: ServerCommand): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair('ed25519')
  const port = await freePort()
  const child = spawn(server.command, server.args, {
    cwd: server.cwd,
    env: { ...process.env, PUBLIC_JWK: JSON.stringify(publicKey.publicJwk()), PORT: String(port) },
  })
  try {
    const url = await listening(child)
    section(`${server.label} at ${url}, checked from Node`)
    const signed = await signRequest(
      new Request(`${url}/orders`, { method: 'POST', body: '{"sku":"A-1"}' }),
      { key: privateKey },
    )
    await step('a signed request is accepted', async () => {
      const { status, body } = await answer(signed.clone())
      expect(
        status === 200 && body.keyId === publicKey.keyId,
        `got ${status} ${JSON.stringify(body)}`,
      )
      return `200, keyid ${String(body.keyId).slice(0, 12)}…, body ${String(body.body)}`
    })
    const refused = async (request: Request, code: string) => {
      const { status, body } = await answer(request)
      expect(status === 401 && body.code === code, `got ${status} ${JSON.stringify(body)}`)
      return `401 ${code}`
    }
    await step('the same request again is refused', () => refused(signed.clone(), 'replayed'))
    const tampered = new Request(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body: '{"sku":"B-2"}',
    })
    await step('a body changed after signing is refused', () =>
      refused(tampered, 'digest_mismatch'),
    )
    await step('an unsigned request is refused', () =>
      refused(new Request(`${url}/orders`), 'signature_missing'),
    )
  } catch (error) {
    await step(`${server.label} starts`, () => Promise.reject(error))
  } finally {
    child.kill()
  }
  finish(server.label)
}
