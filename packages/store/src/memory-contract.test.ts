import { createMemoryStore } from '@countersign/core'
import { runStoreContract } from '@countersign/testkit/store-contract.ts'

// Core's memory store is the reference the SQLite and Redis stores must agree with.
runStoreContract('memory', () => createMemoryStore())
