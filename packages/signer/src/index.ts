/**
 * Sign HTTP requests and responses with RFC 9421 HTTP Message Signatures and RFC 9530
 * `Content-Digest`, plus the Icypeas and API-key compatibility presets.
 *
 * @module
 */
export { createSigner } from './create-signer.ts'
export type { SignApiKeyOptions } from './sign-api-key.ts'
export { signApiKey } from './sign-api-key.ts'
export type { SignIcypeasOptions } from './sign-icypeas.ts'
export { signIcypeas } from './sign-icypeas.ts'
export { signMessage } from './sign-message.ts'
export { signRequest } from './sign-request.ts'
export { signRequestInit } from './sign-request-init.ts'
export { signResponse } from './sign-response.ts'
export type {
  KeyMaterial,
  RequestMessage,
  SignatureOptions,
  SignCallOptions,
  SignedFields,
  SignedRequestInit,
  Signer,
  SigningKey,
  SignOffload,
  SignRequestOptions,
  SignResponseCallOptions,
  SignResponseOptions,
} from './types.ts'
