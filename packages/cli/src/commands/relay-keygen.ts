/**
 * `countersign relay keygen`: a new Ed25519 signing key entry for the relay config's "keys".
 *
 * @module
 */
import { generateKeyPair } from '@countersign/core'
import { EXIT } from '../cli-error.ts'
import type { Command } from '../command.ts'
import { exportPrivateJwk } from '../internal/export-key.ts'
import { stringOption } from '../internal/options.ts'

export const relayKeygen: Command = {
  name: 'relay keygen',
  summary: 'print a new Ed25519 key entry for the relay config',
  help: `Usage: countersign relay keygen [--kid ID]

Prints { "keyId", "privateJwk" }: an entry for the "keys" list of the relay config.
For other algorithms and formats see 'countersign keys generate'.

Options:
  --kid ID    The key id (default relay-<today's date>)
  -h, --help  Show this help

Exit codes: 0 printed, 2 bad usage.`,
  options: { kid: { type: 'string' } },
  async run(values, _positionals, io) {
    const keyId = stringOption(values, 'kid') ?? `relay-${new Date().toISOString().slice(0, 10)}`
    const { privateKey } = await generateKeyPair('ed25519', { keyId, extractable: true })
    const { kty, crv, x, d } = exportPrivateJwk(privateKey)
    io.stdout.write(`${JSON.stringify({ keyId, privateJwk: { kty, crv, x, d } }, null, 2)}\n`)
    return EXIT.ok
  },
}
