/**
 * Reading keys the user names: a JWK, a JWKS or a PEM file.
 *
 * @module
 */
import { ALGORITHMS, type Algorithm, importKey, type Key } from '@countersign/core'
import { CliError, EXIT } from '../cli-error.ts'
import { readUserFile } from './read-text-file.ts'

/** What the key options say. */
export interface KeyChoice {
  file: string
  algorithm: string | undefined
  keyId: string | undefined
}

function algorithmOf(text: string | undefined): Algorithm | undefined {
  if (text === undefined) {
    return undefined
  }
  if (!(ALGORITHMS as readonly string[]).includes(text)) {
    throw new CliError(EXIT.usage, `--alg must be one of ${ALGORITHMS.join(', ')}`)
  }
  return text as Algorithm
}

async function importOne(input: string | JsonWebKey, choice: KeyChoice): Promise<Key> {
  const algorithm = algorithmOf(choice.algorithm)
  try {
    return await importKey(input, {
      ...(algorithm === undefined ? {} : { algorithm }),
      ...(choice.keyId === undefined ? {} : { keyId: choice.keyId }),
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new CliError(EXIT.startup, `cannot use the key in ${choice.file}: ${reason}`)
  }
}

/** The keys in `choice.file`: one for a JWK or PEM, every usable one for a JWKS. */
export async function loadKeys(choice: KeyChoice): Promise<Key[]> {
  const text = new TextDecoder().decode(await readUserFile(choice.file, 'key file')).trim()
  if (text.startsWith('-----BEGIN')) {
    if (choice.algorithm === undefined) {
      throw new CliError(EXIT.usage, `${choice.file} is PEM: give its algorithm with --alg`)
    }
    return [await importOne(text, choice)]
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new CliError(EXIT.startup, `${choice.file} holds neither a JWK, a JWKS nor a PEM key`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(EXIT.startup, `${choice.file} holds neither a JWK, a JWKS nor a PEM key`)
  }
  const list = (parsed as { keys?: unknown }).keys
  if (!Array.isArray(list)) {
    return [await importOne(parsed as JsonWebKey, choice)]
  }
  const keys: Key[] = []
  for (const jwk of list as unknown[]) {
    if (typeof jwk === 'object' && jwk !== null && !Array.isArray(jwk)) {
      keys.push(await importOne(jwk as JsonWebKey, { ...choice, keyId: undefined }))
    }
  }
  if (keys.length === 0) {
    throw new CliError(EXIT.startup, `the JWKS in ${choice.file} has no key`)
  }
  return keys
}
