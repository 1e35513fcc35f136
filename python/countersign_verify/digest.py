"""RFC 9530 ``Content-Digest``: a Dictionary of algorithm to Byte Sequence over the exact body bytes.

``sha-256`` and ``sha-512`` are created and verified; other algorithms in a received value are
ignored, and the deprecated ones (``md5``, ``sha``, ``unixsum``, …) are never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Iterable

from . import sf
from .errors import VerificationError

__all__ = ["SUPPORTED_DIGESTS", "content_digest", "parse_content_digest", "verify_content_digest"]

#: The algorithms this package creates and verifies.
SUPPORTED_DIGESTS: tuple[str, ...] = ("sha-256", "sha-512")
_HASHES = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def _check_algorithms(algorithms: Iterable[str]) -> tuple[str, ...]:
    names = (algorithms,) if isinstance(algorithms, str) else tuple(algorithms)
    if not names or any(a not in _HASHES for a in names):
        raise ValueError("Content-Digest algorithms must be sha-256 and/or sha-512")
    return names


def content_digest(body: bytes, algorithms: str | Iterable[str] = "sha-256") -> str:
    """The ``Content-Digest`` value of ``body``, e.g. ``sha-256=:X48E…=:``."""
    members = {
        name: sf.Item(_HASHES[name](bytes(body)).digest(), {})
        for name in _check_algorithms(algorithms)
    }
    return sf.serialize_dictionary(members)  # type: ignore[arg-type]


def parse_content_digest(value: str) -> dict[str, bytes]:
    """Parses a ``Content-Digest`` value: algorithm to digest bytes.

    Members that are not Byte Sequences are skipped unless the algorithm is supported (then the
    value is ``malformed``). An algorithm named twice is ``duplicate_header``.
    """
    out: dict[str, bytes] = {}
    for name, member in sf.parse_dictionary(value, unique=True).items():
        if isinstance(member, sf.Item) and isinstance(member.value, bytes):
            out[name] = member.value
        elif name in _HASHES:
            raise VerificationError("malformed", f"Content-Digest {name} is not a byte sequence")
    return out


def verify_content_digest(
    value: str, body: bytes, algorithms: Iterable[str] = SUPPORTED_DIGESTS
) -> list[str]:
    """Checks ``value`` against the exact ``body`` bytes; returns the algorithms checked.

    Every accepted algorithm present must match, and at least one must be present, else
    ``digest_mismatch``. ``malformed`` / ``duplicate_header`` as :func:`parse_content_digest`.
    """
    accepted = _check_algorithms(algorithms)
    digests = parse_content_digest(value)
    checked = []
    for name in accepted:
        expected = digests.get(name)
        if expected is None:
            continue
        if not hmac.compare_digest(_HASHES[name](bytes(body)).digest(), expected):
            raise VerificationError(
                "digest_mismatch", f"Content-Digest {name} does not match the body"
            )
        checked.append(name)
    if not checked:
        raise VerificationError(
            "digest_mismatch", "Content-Digest holds no supported algorithm (sha-256, sha-512)"
        )
    return checked
