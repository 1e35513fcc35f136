"""The one error class of :mod:`countersign_verify`, with the stable codes of the TypeScript packages.

Every failure a caller may act on is a :class:`VerificationError` with a stable ``code`` and the
HTTP ``status`` a server should answer with. Caller misuse (a wrong argument type, an unknown
option) raises :class:`TypeError` or :class:`ValueError` instead, because it is a bug to fix.

Messages never contain a secret, a key or a signature value.
"""

from __future__ import annotations

from typing import Any

#: Every code this package raises, with its HTTP status (the same as ``@countersign/core``).
ERROR_CODES: dict[str, int] = {
    # request shape
    "malformed": 400,
    "invalid_json": 400,
    "duplicate_header": 400,
    "component_unsupported": 400,
    "unsupported_media_type": 415,
    # signatures
    "signature_missing": 401,
    "signature_invalid": 401,
    "signature_expired": 401,
    "component_missing": 401,
    "digest_missing": 401,
    "digest_mismatch": 401,
    "replayed": 401,
    "key_unknown": 401,
    "algorithm_mismatch": 401,
    # the nonce store (fail closed)
    "store_unavailable": 503,
    "store_full": 503,
}

_PROBLEM_TYPE_BASE = "https://countersign.dev/errors#"


class VerificationError(Exception):
    """A request failed verification, or could not be read. ``code`` is stable; ``status`` is HTTP."""

    code: str
    message: str
    status: int

    def __init__(self, code: str, message: str | None = None) -> None:
        if code not in ERROR_CODES:
            raise TypeError(f"unknown Countersign error code: {code!r}")
        self.code = code
        self.message = message if message is not None else code.replace("_", " ")
        self.status = ERROR_CODES[code]
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"VerificationError({self.code!r}, {self.message!r})"

    def to_problem(self) -> dict[str, Any]:
        """The RFC 9457 problem details for this error, safe to send to a client."""
        return {
            "type": _PROBLEM_TYPE_BASE + self.code,
            "title": self.code.replace("_", " "),
            "status": self.status,
            "code": self.code,
            "detail": self.message,
        }


#: The same class under the name the TypeScript packages use for signature failures.
SignatureError = VerificationError
