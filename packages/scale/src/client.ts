/**
 * The test's side of the deployment: issuing and revoking user tokens through the token
 * services' balancer, and relayed calls through the relays' balancer.
 *
 * @module
 */

import type { Deployment } from './environment.ts'

/** Issues a user token for `userId` through the balancer; returns it and its header's `kid`. */
export async function issueUserToken(
  d: Deployment,
  userId: string,
): Promise<{ token: string; kid: string; jti: string }> {
  // Setup, not the thing under test: a 503 from a loaded machine is retried a few times.
  let response: Response | undefined
  for (let attempt = 0; attempt < 5 && response?.status !== 201; attempt++) {
    if (attempt > 0) {
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    response = await fetch(`${d.tokensUrl}/v1/user-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id: userId }, audience: d.audience, format: 'jwt' }),
    })
    if (response.status === 503) {
      await response.arrayBuffer()
    } else {
      break
    }
  }
  if (response === undefined) {
    throw new Error('issuing failed')
  }
  const body = (await response.json()) as { access_token: string; jti: string }
  if (response.status !== 201) {
    throw new Error(`issuing failed: ${response.status} ${JSON.stringify(body)}`)
  }
  const header = JSON.parse(
    Buffer.from(body.access_token.split('.')[0]!, 'base64url').toString(),
  ) as { kid: string }
  return { token: body.access_token, kid: header.kid, jti: body.jti }
}

/** Revokes a token through the balancer. */
export async function revoke(d: Deployment, token: string): Promise<number> {
  const response = await fetch(`${d.tokensUrl}/oauth/revoke`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${d.apiKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }).toString(),
  })
  await response.arrayBuffer()
  return response.status
}

/** One relayed call through the relays' balancer. */
export async function relayed(
  d: Deployment,
  token: string,
  data: unknown,
): Promise<{ status: number; code?: string; requestId: string | null }> {
  let response: Response
  let text: string
  try {
    response = await fetch(`${d.relayUrl}/secure-request`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${d.apiUrl}/api/echo`, data }),
    })
    text = await response.text()
  } catch {
    // The connection dropped (e.g. the relay serving it was killed): status 0.
    return { status: 0, requestId: null }
  }
  let code: string | undefined
  if (response.status !== 200) {
    try {
      code = (JSON.parse(text) as { code?: string }).code
    } catch {
      code = undefined
    }
  }
  return {
    status: response.status,
    requestId: response.headers.get('x-request-id'),
    ...(code === undefined ? {} : { code }),
  }
}
