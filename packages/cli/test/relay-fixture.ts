import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@countersign/core'

/** A minimal valid relay config (one Ed25519 key, one target), written to `dir/name`. */
export async function writeRelayConfig(
  dir: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const { privateKey } = await generateKeyPair('ed25519', { keyId: 'relay-a', extractable: true })
  const privateJwk = (privateKey.nativeKey as { export(o: { format: 'jwk' }): JsonWebKey }).export({
    format: 'jwk',
  })
  const config = {
    server: { port: 0, host: '127.0.0.1' },
    keys: [{ privateJwk, keyId: 'relay-a' }],
    auth: {
      type: 'countersign',
      issuer: 'https://tokens.test',
      audience: 'app',
      jwks: { keys: [] },
    },
    targets: [{ id: 'orders', baseUrl: 'https://api.example.com/v1' }],
    ...extra,
  }
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(config, null, 2))
  return path
}
