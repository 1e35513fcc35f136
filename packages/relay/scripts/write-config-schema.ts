/**
 * Writes `config.schema.json`, the JSON Schema of a relay config file, from the shape the
 * validator checks. `src/config/relay-config-json-schema.test.ts` fails when the committed file
 * differs from what this writes.
 */
import { writeFileSync } from 'node:fs'
import { relayConfigJsonSchema } from '../src/config/relay-config-json-schema.ts'

const file = new URL('../config.schema.json', import.meta.url)
writeFileSync(file, `${JSON.stringify(relayConfigJsonSchema(), null, 2)}\n`)
