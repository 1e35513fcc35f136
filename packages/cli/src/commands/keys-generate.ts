/**
 * `countersign keys generate`: an Ed25519, ECDSA P-256 or HMAC key as JWK or PEM.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises'
import { type Algorithm, generateKeyPair } from '@countersign/core'
import { CliError, EXIT } from '../cli-error.ts'
import type { Command } from '../command.ts'
import { exportPem, exportPrivateJwk } from '../internal/export-key.ts'
import { choiceOption, stringOption } from '../internal/options.ts'

const ALGS = ['ed25519', 'ecdsa-p256-sha256', 'hmac-sha256'] as const satisfies readonly Algorithm[]

const HELP = `Usage: countersign keys generate [options]

Generates a signing key. The private key (or HMAC secret) goes to --out or stdout; the public
key to --public-out when given.

Options:
  --alg A            ${ALGS.join(' | ')} (default ed25519)
  --kid ID           The key id (default: the RFC 7638 thumbprint)
  --format F         jwk | pem (default jwk). jwk writes a private JWK with kid and alg, and a
                     public JWKS { "keys": [...] }; pem writes PKCS#8 and SPKI (not for HMAC)
  --out FILE         Write the private key to FILE (created with mode 0600, never overwritten)
  --public-out FILE  Write the public key to FILE (not for HMAC)
  -h, --help         Show this help

Exit codes: 0 written, 2 bad usage, 1 a file could not be written.`

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(path, text, { mode, flag: 'wx' })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CliError(
      EXIT.failed,
      code === 'EEXIST' ? `${path} exists; not overwriting it` : `cannot write ${path}: ${code}`,
    )
  }
}

export const keysGenerate: Command = {
  name: 'keys generate',
  summary: 'generate an Ed25519, ECDSA or HMAC key (JWK or PEM)',
  help: HELP,
  options: {
    alg: { type: 'string' },
    kid: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    'public-out': { type: 'string' },
  },
  async run(values, _positionals, io) {
    const algorithm = choiceOption(values, 'alg', ALGS, 'ed25519')
    const format = choiceOption(values, 'format', ['jwk', 'pem'] as const, 'jwk')
    const publicOut = stringOption(values, 'public-out')
    const secret = algorithm === 'hmac-sha256'
    if (secret && (format === 'pem' || publicOut !== undefined)) {
      throw new CliError(EXIT.usage, 'an HMAC secret has no PEM form and no public half')
    }
    const kid = stringOption(values, 'kid')
    const pair = await generateKeyPair(algorithm, {
      extractable: true,
      ...(kid === undefined ? {} : { keyId: kid }),
    })
    const privateText =
      format === 'pem'
        ? exportPem(pair.privateKey)
        : `${JSON.stringify(exportPrivateJwk(pair.privateKey), null, 2)}\n`
    const out = stringOption(values, 'out')
    if (out === undefined) {
      io.stdout.write(privateText)
    } else {
      await writeNew(out, privateText, 0o600)
    }
    if (publicOut !== undefined) {
      const publicText =
        format === 'pem'
          ? exportPem(pair.publicKey)
          : `${JSON.stringify({ keys: [pair.publicKey.publicJwk()] }, null, 2)}\n`
      await writeNew(publicOut, publicText, 0o644)
    }
    if (out !== undefined) {
      io.stderr.write(
        `countersign keys generate: wrote ${algorithm} key ${pair.privateKey.keyId}\n`,
      )
    }
    return EXIT.ok
  },
}
