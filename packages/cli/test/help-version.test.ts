import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../src/commands.ts'
import { inProcess, runCli } from './helpers.ts'

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

const NAMES = ['', 'tokens', 'relay', 'keys', ...COMMANDS.map((c) => c.name)]

describe('--help and --version on every command (real processes)', () => {
  for (const name of NAMES) {
    const words = name === '' ? [] : name.split(' ')
    it(`countersign ${name} --help / -h / --version exit 0`, async () => {
      const help = await runCli([...words, '--help'])
      const version = await runCli([...words, '--version'])
      const short = await inProcess([...words, '-h'])
      const usage = name === '' ? 'Usage: countersign <command>' : `Usage: countersign ${name}`
      expect(help.code, help.stderr).toBe(0)
      expect(help.stdout).toContain(usage)
      expect(help.stdout).toMatch(/Exit codes|--help/)
      expect(short).toEqual({ code: 0, stdout: help.stdout, stderr: '' })
      expect(version.code).toBe(0)
      expect(version.stdout).toBe(`${VERSION}\n`)
    }, 60_000)
  }

  it('--help wins over options that lack their value, on the alias bins too', async () => {
    const relay = await runCli(['serve', '--help'], { bin: 'countersign-relay' })
    const tokens = await runCli(['serve', '--port', '--help'], { bin: 'countersign-tokens' })
    const tokensTop = await runCli(['--help'], { bin: 'countersign-tokens' })
    const missing = await inProcess(['relay', 'serve', '--config'])
    expect(relay.code, relay.stderr).toBe(0)
    expect(relay.stdout).toContain('Usage: countersign relay serve')
    expect(tokens.code, tokens.stderr).toBe(0)
    expect(tokens.stdout).toContain('Usage: countersign tokens serve')
    expect(tokensTop.code).toBe(0)
    expect(tokensTop.stdout).toContain('countersign tokens serve')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/^countersign relay serve: .*--config/)
  }, 60_000)

  it('bad usage (in-process) exits 2 with one line prefixed by the command, then a pointer to --help', async () => {
    const cases: [string[], RegExp][] = [
      [[], /^Usage: countersign <command>/],
      [['launch'], /^countersign: unknown command launch\n/],
      [['relay'], /^Usage: countersign relay <command>/],
      [['relay', 'launch'], /^countersign relay: unknown command launch\n/],
      [['relay', 'serve', '--bogus'], /^countersign relay serve: Unknown option '--bogus'/],
      [['relay', 'check', 'stray'], /^countersign relay check: unexpected argument stray\n/],
      [['tokens', 'serve', '--port', '99999'], /^countersign tokens serve: --port must be/],
      [['tokens', 'serve', '--port', '8o'], /^countersign tokens serve: --port must be/],
      [['sign', '--key', 'k.json'], /^countersign sign: missing URL\n/],
      [['keys', 'generate', '--alg', 'rsa'], /^countersign keys generate: --alg must be one of/],
      [['verify'], /^countersign verify: give one of --key FILE or --jwks/],
    ]
    for (const [args, pattern] of cases) {
      const result = await inProcess(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr, args.join(' ')).toMatch(pattern)
      expect(result.stdout, args.join(' ')).toBe('')
    }
  })
})
