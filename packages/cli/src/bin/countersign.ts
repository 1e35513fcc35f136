#!/usr/bin/env node
/**
 * The `countersign` executable.
 *
 * @module
 */
import { launch } from '../launch.ts'

await launch([])
