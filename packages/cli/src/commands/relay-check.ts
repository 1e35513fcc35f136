/**
 * `countersign relay check`: validates a relay config file without serving.
 *
 * @module
 */
import { EXIT } from '../cli-error.ts'
import type { Command } from '../command.ts'
import { loadRelayConfigOrExit } from '../internal/load-relay-config-or-exit.ts'
import { stringOption } from '../internal/options.ts'

export const relayCheck: Command = {
  name: 'relay check',
  summary: 'validate a relay config file',
  help: `Usage: countersign relay check [--config FILE]

Loads and validates the config (secrets, keys, targets, store) and prints "ok", or every issue
with its JSON path on one line.

Options:
  --config FILE  The config file (default countersign.config.json, or its "relay" section)
  -h, --help     Show this help

Exit codes: 0 valid, 2 bad usage, 3 invalid or unreadable config.`,
  options: { config: { type: 'string' } },
  async run(values, _positionals, io) {
    const file = stringOption(values, 'config') ?? 'countersign.config.json'
    const loaded = await loadRelayConfigOrExit(file, io.env)
    await loaded.close()
    io.stdout.write(`${file}: ok (${loaded.options.targets.length} targets)\n`)
    return EXIT.ok
  },
}
