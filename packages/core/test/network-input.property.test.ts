/**
 * The standing defence for every core parser reachable from the network: on any input it
 * returns, or throws a `CountersignError` with a 4xx status and a snake_case code; never any
 * other throw. Fixed seed here (`FUZZ_SEED`, `FUZZ_RUNS` override it: `scripts/fuzz.mjs` runs
 * these properties for minutes with random seeds).
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import {
  isCountersignError,
  parseAcceptSignature,
  parseComponentIdentifier,
  parseContentDigest,
  parseDictionary,
  parseItem,
  parseJsonStrict,
  parseList,
  parseSecret,
  parseSignature,
  parseSignatureInput,
  verifyContentDigest,
} from '../src/index.ts'

const RUNS = {
  seed: Number(process.env.FUZZ_SEED ?? 42),
  numRuns: Number(process.env.FUZZ_RUNS ?? 200),
}
const CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
/** Generous for a loaded machine; grows with `FUZZ_RUNS` for the long run. */
const TIMEOUT_MS = Math.max(60_000, RUNS.numRuns * 300)

/** Fails unless `error` is a Countersign error with a 4xx status and a snake_case code. */
function expectCoded4xx(error: unknown, input: unknown): void {
  if (
    isCountersignError(error) &&
    error.status >= 400 &&
    error.status < 500 &&
    CODE.test(error.code)
  ) {
    return
  }
  const shown = JSON.stringify(input)?.slice(0, 200)
  throw new Error(`not a coded 4xx for ${shown}: ${String(error)}`)
}

async function settles(run: () => unknown, input: unknown): Promise<void> {
  try {
    await run()
  } catch (error) {
    expectCoded4xx(error, input)
  }
}

/** The characters of structured fields, and a few that break them. */
const SF_CHARS = fc.constantFrom(
  ...'abcsig1-_.*:;=,()"\\ \t?/+%0123456789ABCDEF@'.split(''),
  '\u0000',
  '\u00e9',
  '\ud800',
  '\u{1f600}',
)

/** Random edits of a valid value: inserts, deletions and repeats of slices. */
function mutated(samples: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(
    fc.nat(),
    fc.nat(8),
    fc.oneof(fc.string({ unit: SF_CHARS, maxLength: 4 }), fc.constant('')),
  )
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(edit, { maxLength: 4 }))
    .map(([text, edits]) => {
      let out = text
      for (const [at, cut, insert] of edits) {
        const i = at % (out.length + 1)
        out = `${out.slice(0, i)}${insert}${out.slice(i + cut)}`
      }
      return out
    })
}

/** Header-like text: mutated samples, structured-field soup, any code units, long repeats. */
function fieldText(samples: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: mutated(samples) },
    { weight: 2, arbitrary: fc.string({ unit: SF_CHARS, maxLength: 80 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...samples), fc.integer({ min: 2, max: 60 }))
        .map(([s, n]) => s.repeat(n)),
    },
  )
}

const SIGNATURE_INPUT = [
  'sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="test-key-ed25519";nonce="b3k2pp5k7z"',
  'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
  'a=("@query-param";name="id" "x";sf "y";key="k" "z";bs;tr);alg="ed25519";expires=1;tag="t"',
]
const SIGNATURE = [
  'sig1=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
  'a=:AA==:, b=:/+8=:',
]
const DIGEST = [
  'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
  'sha-512=:AA==:, sha-256=:AA==:',
  'unixsum=1',
]
const COMPONENTS = [
  '"@method"',
  '"@query-param";name="a"',
  '"x";sf',
  '"y";key="k"',
  '"z";bs;tr',
  '"@request-response";key="sig"',
]
const JSON_SAMPLES = [
  '{"a":[1,2.5,-0,1e308,"\\u0000"],"b":{"c":null,"d":true}}',
  '[[[[[]]]]]',
  '{"__proto__":1}',
  '"\\ud800"',
]
const SECRETS = [
  'cs_pk_4J3x1ZQp9yT2mV8rW6nK0bC5dF7gH1jL3aS5dF7gH9',
  'csk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
]

describe('core network parsers: a coded 4xx or a result, never another throw', {
  timeout: TIMEOUT_MS,
}, () => {
  it('Signature-Input, Signature, Accept-Signature and component identifiers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fieldText([...SIGNATURE_INPUT, ...SIGNATURE, ...COMPONENTS]),
        async (text) => {
          await settles(() => parseSignatureInput(text), text)
          await settles(() => parseSignature(text), text)
          await settles(() => parseAcceptSignature(text), text)
          await settles(() => parseComponentIdentifier(text), text)
        },
      ),
      RUNS,
    )
  })

  it('structured fields: Dictionary, List and Item', async () => {
    await fc.assert(
      fc.asyncProperty(fieldText([...SIGNATURE_INPUT, ...DIGEST, ...COMPONENTS]), async (text) => {
        await settles(() => parseDictionary(text, { field: 'X' }), text)
        await settles(() => parseList(text, { field: 'X' }), text)
        await settles(() => parseItem(text, { field: 'X' }), text)
      }),
      RUNS,
    )
  })

  it('Content-Digest, parsed and checked against a body', async () => {
    await fc.assert(
      fc.asyncProperty(fieldText(DIGEST), fc.uint8Array({ maxLength: 64 }), async (text, body) => {
        await settles(() => parseContentDigest(text), text)
        await settles(() => verifyContentDigest(text, body), text)
      }),
      RUNS,
    )
  })

  it('strict JSON', async () => {
    const text = fc.oneof(
      fieldText(JSON_SAMPLES),
      fc.json(),
      fc.string({ unit: fc.constantFrom(...'[]{}":,0e-.\\u'.split('')), maxLength: 60 }),
    )
    await fc.assert(
      fc.asyncProperty(text, async (input) => {
        await settles(() => parseJsonStrict(input), input)
        await settles(() => parseJsonStrict(input, { maxDepth: 3 }), input)
      }),
      RUNS,
    )
  })

  it('prefixed secrets (tokens and API keys with a checksum)', async () => {
    await fc.assert(
      fc.asyncProperty(fieldText(SECRETS), async (text) => {
        await settles(() => parseSecret(text), text)
      }),
      RUNS,
    )
  })
})
