#!/usr/bin/env node
/**
 * The `countersign-relay` executable (the same as `countersign relay …`).
 *
 * @module
 */
import { launch } from '../launch.ts'

await launch(['relay'])
