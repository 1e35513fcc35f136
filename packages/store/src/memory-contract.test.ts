import { createMemoryStore } from '@countersign/core'
// testkit is not linked into this package's node_modules yet; import its file directly.
import { runStoreContract } from '@countersign/testkit/store-contract.ts'

// Core's memory store is the reference the SQLite and Redis stores must agree with.
runStoreContract('memory', () => createMemoryStore())
