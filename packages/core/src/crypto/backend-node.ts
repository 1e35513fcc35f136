/**
 * Replaces `backend.ts` in the `node` build (see tsup.config.ts).
 *
 * @module
 */
export { nodeBackend as backend } from './node.ts'
