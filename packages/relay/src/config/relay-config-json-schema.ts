/** @internal @module */
import { relayConfigShape } from './relay-config-shape.ts'
import type { JsonSchema } from './shape-kit.ts'

/** Where the published schema says it lives (the file is `@countersign/relay/config.schema.json`). */
export const RELAY_CONFIG_SCHEMA_ID = 'https://countersign.dev/schema/relay-config.json'

/**
 * The JSON Schema (2020-12) of a relay config file, from the shape the validator checks. Rules
 * across members (keys that targets need, unique targets, safe base URLs) are checked by
 * `validateRelayConfig` only.
 */
export function relayConfigJsonSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: RELAY_CONFIG_SCHEMA_ID,
    title: 'Countersign relay config',
    description:
      'A config file for countersign-relay. Validate it with `countersign-relay check --config <file>`.',
    ...relayConfigShape.schema(),
  }
}
