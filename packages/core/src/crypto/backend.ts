/**
 * The crypto backend this build uses. The default build binds the Web Crypto backend; the
 * `node` build (the `node` export condition) replaces this module with `backend-node.ts` at
 * build time, so library code imports the backend from here and never names one.
 *
 * @module
 */
export { webBackend as backend } from './web.ts'
