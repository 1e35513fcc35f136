"""countersign_verify: the Python reference verifier for Countersign.

Verifies RFC 9421 HTTP Message Signatures and RFC 9530 ``Content-Digest`` on requests, with the
same policy and stable error codes as the TypeScript ``@countersign/verifier``, and reads
requests forwarded by the Countersign relay. Standard library only; ``cryptography`` is needed
for ed25519, ecdsa-p256-sha256 and RSA keys, and imported only when such a key is made.

>>> import hashlib, hmac
>>> from countersign_verify import Key, verify_request, VerificationError
>>> key = Key.hmac_sha256(b"s" * 32, "client-1")
>>> try:
...     verify_request("GET", "https://api.example.com/", [], b"", keys={"client-1": key})
... except VerificationError as error:
...     print(error.code, error.status)
signature_missing 401
"""

from .base import signature_base
from .components import HttpMessage
from .digest import content_digest, parse_content_digest, verify_content_digest
from .errors import ERROR_CODES, SignatureError, VerificationError
from .keys import ALGORITHMS, CryptographyMissingError, Key, keys_from_jwks
from .nonces import NonceCache, NonceStore, ReplayProtectionDisabledWarning, default_nonce_store
from .relay import RELAY_TAG, RelayRequest, parse_relay_envelope, verify_relay_request
from .verify import (
    DEFAULT_REQUIRED_COMPONENTS,
    KeySource,
    Verified,
    verify_message,
    verify_request,
)

__version__ = "0.1.0"

__all__ = [
    "ALGORITHMS",
    "DEFAULT_REQUIRED_COMPONENTS",
    "ERROR_CODES",
    "RELAY_TAG",
    "CryptographyMissingError",
    "HttpMessage",
    "Key",
    "KeySource",
    "NonceCache",
    "NonceStore",
    "RelayRequest",
    "ReplayProtectionDisabledWarning",
    "SignatureError",
    "VerificationError",
    "Verified",
    "content_digest",
    "default_nonce_store",
    "keys_from_jwks",
    "parse_content_digest",
    "parse_relay_envelope",
    "signature_base",
    "verify_content_digest",
    "verify_message",
    "verify_relay_request",
    "verify_request",
]
