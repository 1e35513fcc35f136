import { isCountersignError } from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../src/index.ts'
import { rejection } from './helpers/rejection.ts'
import { type Stack, startStack } from './helpers/stack.ts'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
}, 30_000)

afterAll(async () => {
  await stack?.close()
})

describe('parameter tokens (Kudo-compatible routes)', () => {
  it('generates a token for parameters and reads them back', async () => {
    const client = createClient({ tokenServiceUrl: stack.tokens.url, apiKey: stack.tokens.apiKey })
    const params = { auth: 'apiKey', file: 'filePath', userId: 'userId', server: 'serverId' }
    const { token, expiresAt } = await client.generateToken(params)
    expect(token).toMatch(/^cs_pt_/)
    expect(expiresAt).toBeInstanceOf(Date)
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now())

    // Reading needs no API key: the token is the credential.
    const reader = createClient({ tokenServiceUrl: stack.tokens.url })
    expect(await reader.verifyToken(token)).toEqual(params)
  })

  it('maps the service refusals to Countersign codes', async () => {
    const reader = createClient({ tokenServiceUrl: stack.tokens.url })
    const invalid = await rejection(reader.verifyToken('cs_pt_not-a-real-token'))
    expect(isCountersignError(invalid, 'token_invalid')).toBe(true)
    expect(invalid.message).not.toContain('cs_pt_not-a-real-token')

    const wrongKey = createClient({ tokenServiceUrl: stack.tokens.url, apiKey: 'cs_ak_wrong' })
    const refused = await rejection(wrongKey.generateToken({ a: 1 }))
    expect(isCountersignError(refused, 'api_key_invalid')).toBe(true)
    expect(refused.message).not.toContain('cs_ak_wrong')
  })

  it('refuses misuse with a TypeError before any call', async () => {
    const client = createClient({ tokenServiceUrl: stack.tokens.url, apiKey: stack.tokens.apiKey })
    await expect(createClient().generateToken({ a: 1 })).rejects.toThrow(/tokenServiceUrl/)
    await expect(
      createClient({ tokenServiceUrl: stack.tokens.url }).generateToken({}),
    ).rejects.toThrow(/apiKey/)
    await expect(client.generateToken([1] as never)).rejects.toThrow(/plain object/)
    await expect(client.generateToken({ when: () => 1 })).rejects.toThrow(
      /params\.when is a function/,
    )
    await expect(client.verifyToken('two words')).rejects.toThrow(TypeError)
  })

  it('uses a per-call API key', async () => {
    const client = createClient({ tokenServiceUrl: stack.tokens.url })
    const { token } = await client.generateToken({ x: 1 }, { apiKey: stack.tokens.apiKey })
    expect(await client.verifyToken(token)).toEqual({ x: 1 })
  })
})
