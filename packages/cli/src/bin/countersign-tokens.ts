#!/usr/bin/env node
/**
 * The `countersign-tokens` executable (the same as `countersign tokens …`).
 *
 * @module
 */
import { launch } from '../launch.ts'

await launch(['tokens'])
