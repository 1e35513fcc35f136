/**
 * Every command, in the order `countersign --help` lists them.
 *
 * @module
 */
import type { Command } from './command.ts'
import { keysGenerate } from './commands/keys-generate.ts'
import { relayCheck } from './commands/relay-check.ts'
import { relayKeygen } from './commands/relay-keygen.ts'
import { relayServe } from './commands/relay-serve.ts'
import { sign } from './commands/sign.ts'
import { tokensServe } from './commands/tokens-serve.ts'
import { verify } from './commands/verify.ts'

/** The commands; a name with a space belongs to a group (`relay serve` to `relay`). */
export const COMMANDS: readonly Command[] = [
  tokensServe,
  relayServe,
  relayCheck,
  relayKeygen,
  keysGenerate,
  sign,
  verify,
]
