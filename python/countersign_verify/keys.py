"""Verification keys. The algorithm always comes from the key, never from the message alone.

Algorithms (RFC 9421 §3.3 names): ``hmac-sha256`` (standard library), and, with the
``cryptography`` package, ``ed25519``, ``ecdsa-p256-sha256`` (raw 64-byte ``r||s``),
``rsa-pss-sha512`` (MGF1-SHA-512, salt length 64) and ``rsa-v1_5-sha256``.

``cryptography`` is imported only when an asymmetric key is made; without it that raises
:class:`CryptographyMissingError` ("ed25519 needs the 'cryptography' package (Debian:
python3-cryptography)"), so an HMAC-only deployment needs nothing beyond the standard library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from types import SimpleNamespace
from typing import Any, Mapping

__all__ = ["ALGORITHMS", "CryptographyMissingError", "Key", "keys_from_jwks"]

#: Every algorithm a :class:`Key` can have.
ALGORITHMS: tuple[str, ...] = (
    "hmac-sha256",
    "ed25519",
    "ecdsa-p256-sha256",
    "rsa-pss-sha512",
    "rsa-v1_5-sha256",
)

# kty, crv, JWA alg names accepted (the first is the canonical one).
_JWK = {
    "hmac-sha256": ("oct", None, ("HS256",)),
    "ed25519": ("OKP", "Ed25519", ("EdDSA", "Ed25519")),
    "ecdsa-p256-sha256": ("EC", "P-256", ("ES256",)),
    "rsa-pss-sha512": ("RSA", None, ("PS512",)),
    "rsa-v1_5-sha256": ("RSA", None, ("RS256",)),
}
_MIN_RSA_BITS = 2048


class CryptographyMissingError(ImportError):
    """An asymmetric key was requested but the ``cryptography`` package is not installed."""


def _crypto(algorithm: str) -> SimpleNamespace:
    """Imports what ``cryptography`` offers, or explains how to install it."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
    except ImportError as error:
        raise CryptographyMissingError(
            f"{algorithm} needs the 'cryptography' package (Debian: python3-cryptography)"
        ) from error
    return SimpleNamespace(
        InvalidSignature=InvalidSignature,
        hashes=hashes,
        serialization=serialization,
        ec=ec,
        ed25519=ed25519,
        padding=padding,
        rsa=rsa,
        utils=utils,
    )


def _b64url(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or value == "" or "=" in value:
        raise ValueError(f"JWK member {what} must be unpadded base64url")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"JWK member {what} must be unpadded base64url") from None


def _b64url_int(value: Any, what: str) -> int:
    return int.from_bytes(_b64url(value, what), "big")


class Key:
    """A key that verifies (and, holding private material, signs) one algorithm.

    Make one with :meth:`hmac_sha256`, :meth:`from_jwk` or :meth:`from_pem`. ``algorithm`` is
    the RFC 9421 name; ``key_id`` is informational (signatures name their key by ``keyid``).
    """

    __slots__ = ("algorithm", "key_id", "_secret", "_public", "_private")

    def __init__(
        self,
        algorithm: str,
        key_id: str | None = None,
        *,
        _secret: bytes | None = None,
        _public: Any = None,
        _private: Any = None,
    ) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unsupported algorithm {algorithm!r}")
        if key_id is not None and not isinstance(key_id, str):
            raise TypeError("key_id must be a string")
        self.algorithm = algorithm
        self.key_id = key_id
        self._secret = _secret
        self._public = _public
        self._private = _private

    def __repr__(self) -> str:
        kind = "secret" if self._secret is not None else "private" if self._private else "public"
        return f"Key(algorithm={self.algorithm!r}, key_id={self.key_id!r}, {kind})"

    @property
    def can_sign(self) -> bool:
        """Whether this key holds a secret or private key."""
        return self._secret is not None or self._private is not None

    # ------------------------------------------------------------------ constructors

    @classmethod
    def hmac_sha256(cls, secret: bytes, key_id: str) -> "Key":
        """An ``hmac-sha256`` key from the raw secret bytes (decode base64 secrets first)."""
        if not isinstance(secret, (bytes, bytearray)) or len(secret) == 0:
            raise ValueError("an HMAC secret must be non-empty bytes")
        if not isinstance(key_id, str) or key_id == "":
            raise ValueError("an HMAC key needs a key_id")
        return cls("hmac-sha256", key_id, _secret=bytes(secret))

    @classmethod
    def from_jwk(
        cls, jwk: Mapping[str, Any], *, algorithm: str | None = None, key_id: str | None = None
    ) -> "Key":
        """A key from a JWK: ``OKP``/Ed25519, ``EC``/P-256, ``RSA`` (``PS512``/``RS256``) or ``oct``.

        The algorithm comes from ``kty``/``crv`` and the JWK's ``alg``; an RSA key needs ``alg``
        or ``algorithm=``. When both are given they must agree. A JWK with ``d`` (or ``k``) can
        also sign. ``key_id`` defaults to the JWK's ``kid``. Raises ``ValueError`` for a JWK
        that is not one of these, or whose members do not fit together.
        """
        if not isinstance(jwk, Mapping):
            raise TypeError("a JWK must be a mapping")
        kty, jwa = jwk.get("kty"), jwk.get("alg")
        found = [
            name
            for name, (k, crv, algs) in _JWK.items()
            if k == kty and (crv is None or jwk.get("crv") == crv) and (jwa is None or jwa in algs)
        ]
        if algorithm is not None:
            if algorithm not in found:
                raise ValueError(f"the JWK is not a {algorithm} key")
            found = [algorithm]
        if len(found) != 1:
            raise ValueError(
                "unsupported JWK (need kty OKP/Ed25519, EC/P-256, oct, or RSA with alg PS512/RS256)"
            )
        alg = found[0]
        kid = key_id if key_id is not None else jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise ValueError("JWK kid must be a string")
        if alg == "hmac-sha256":
            return cls("hmac-sha256", kid, _secret=_b64url(jwk.get("k"), "k"))
        c = _crypto(alg)
        private = None
        if alg == "ed25519":
            x = _b64url(jwk.get("x"), "x")
            if len(x) != 32:
                raise ValueError("an Ed25519 x must be 32 bytes")
            public = c.ed25519.Ed25519PublicKey.from_public_bytes(x)
            if "d" in jwk:
                private = c.ed25519.Ed25519PrivateKey.from_private_bytes(_b64url(jwk["d"], "d"))
                raw = c.serialization.Encoding.Raw, c.serialization.PublicFormat.Raw
                if private.public_key().public_bytes(*raw) != x:
                    raise ValueError("JWK d does not match x")
        elif alg == "ecdsa-p256-sha256":
            x, y = _b64url(jwk.get("x"), "x"), _b64url(jwk.get("y"), "y")
            if len(x) != 32 or len(y) != 32:
                raise ValueError("P-256 x and y must be 32 bytes")
            numbers = c.ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), c.ec.SECP256R1()
            )
            public = numbers.public_key()
            if "d" in jwk:
                private = c.ec.derive_private_key(_b64url_int(jwk["d"], "d"), c.ec.SECP256R1())
                if private.public_key().public_numbers() != numbers:
                    raise ValueError("JWK d does not match x and y")
        else:
            pub = c.rsa.RSAPublicNumbers(
                _b64url_int(jwk.get("e"), "e"), _b64url_int(jwk.get("n"), "n")
            )
            public = pub.public_key()
            if "d" in jwk:
                d = _b64url_int(jwk["d"], "d")
                if all(m in jwk for m in ("p", "q", "dp", "dq", "qi")):
                    p, q = _b64url_int(jwk["p"], "p"), _b64url_int(jwk["q"], "q")
                    dp, dq = _b64url_int(jwk["dp"], "dp"), _b64url_int(jwk["dq"], "dq")
                    qi = _b64url_int(jwk["qi"], "qi")
                else:
                    p, q = c.rsa.rsa_recover_prime_factors(pub.n, pub.e, d)
                    dp, dq, qi = (
                        c.rsa.rsa_crt_dmp1(d, p),
                        c.rsa.rsa_crt_dmq1(d, q),
                        c.rsa.rsa_crt_iqmp(p, q),
                    )
                private = c.rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, pub).private_key()
            if public.key_size < _MIN_RSA_BITS:
                raise ValueError(f"RSA keys must have at least {_MIN_RSA_BITS} bits")
        return cls(alg, kid, _public=public, _private=private)

    @classmethod
    def from_pem(cls, pem: str | bytes, algorithm: str, *, key_id: str | None = None) -> "Key":
        """A key from PEM: SPKI or PKCS#1 public keys, PKCS#8, PKCS#1 or SEC1 private keys.

        ``algorithm`` is required (a PEM does not say how an RSA key is used) and must fit the
        key type. Raises ``ValueError`` when it does not, or when the PEM cannot be read.
        """
        if algorithm not in ALGORITHMS or algorithm == "hmac-sha256":
            raise ValueError(f"from_pem needs an asymmetric algorithm, not {algorithm!r}")
        data = pem.encode("ascii") if isinstance(pem, str) else bytes(pem)
        c = _crypto(algorithm)
        private = None
        if b"PRIVATE KEY-----" in data:
            private = c.serialization.load_pem_private_key(data, password=None)
            public = private.public_key()
        else:
            public = c.serialization.load_pem_public_key(data)
        expected = {
            "ed25519": c.ed25519.Ed25519PublicKey,
            "ecdsa-p256-sha256": c.ec.EllipticCurvePublicKey,
            "rsa-pss-sha512": c.rsa.RSAPublicKey,
            "rsa-v1_5-sha256": c.rsa.RSAPublicKey,
        }[algorithm]
        if not isinstance(public, expected):
            raise ValueError(f"the PEM key is not a {algorithm} key")
        if algorithm == "ecdsa-p256-sha256" and not isinstance(public.curve, c.ec.SECP256R1):
            raise ValueError("the PEM key is not on P-256")
        if algorithm.startswith("rsa-") and public.key_size < _MIN_RSA_BITS:
            raise ValueError(f"RSA keys must have at least {_MIN_RSA_BITS} bits")
        return cls(algorithm, key_id, _public=public, _private=private)

    # ------------------------------------------------------------------ operations

    def verify(self, data: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's signature of ``data``. Never raises for bad input."""
        data, signature = bytes(data), bytes(signature)
        if self._secret is not None:
            expected = hmac.new(self._secret, data, hashlib.sha256).digest()
            return hmac.compare_digest(expected, signature)
        c = _crypto(self.algorithm)
        try:
            if self.algorithm == "ed25519":
                if len(signature) != 64:
                    return False
                self._public.verify(signature, data)
            elif self.algorithm == "ecdsa-p256-sha256":
                if len(signature) != 64:
                    return False
                r = int.from_bytes(signature[:32], "big")
                s = int.from_bytes(signature[32:], "big")
                if r == 0 or s == 0:
                    return False
                der = c.utils.encode_dss_signature(r, s)
                self._public.verify(der, data, c.ec.ECDSA(c.hashes.SHA256()))
            elif self.algorithm == "rsa-pss-sha512":
                self._public.verify(signature, data, self._pss(c), c.hashes.SHA512())
            else:
                self._public.verify(signature, data, c.padding.PKCS1v15(), c.hashes.SHA256())
        except (c.InvalidSignature, ValueError):
            return False
        return True

    def sign(self, data: bytes) -> bytes:
        """Signs ``data`` (for tests and tools: a verifier never needs it). ECDSA gives raw r||s."""
        data = bytes(data)
        if self._secret is not None:
            return hmac.new(self._secret, data, hashlib.sha256).digest()
        if self._private is None:
            raise ValueError("this key holds no private key")
        c = _crypto(self.algorithm)
        if self.algorithm == "ed25519":
            return bytes(self._private.sign(data))
        if self.algorithm == "ecdsa-p256-sha256":
            der = self._private.sign(data, c.ec.ECDSA(c.hashes.SHA256()))
            r, s = c.utils.decode_dss_signature(der)
            return bytes(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        if self.algorithm == "rsa-pss-sha512":
            return bytes(self._private.sign(data, self._pss(c), c.hashes.SHA512()))
        return bytes(self._private.sign(data, c.padding.PKCS1v15(), c.hashes.SHA256()))

    @staticmethod
    def _pss(c: SimpleNamespace) -> Any:
        return c.padding.PSS(mgf=c.padding.MGF1(c.hashes.SHA512()), salt_length=64)


def keys_from_jwks(jwks: Mapping[str, Any]) -> dict[str, Key]:
    """Keys by ``kid`` from a JWKS (``{"keys": [...]}``); entries without ``kid`` are skipped.

    Raises ``ValueError`` for a ``kid`` used twice or a key this package cannot use.
    """
    entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError('a JWKS must be an object with a "keys" array')
    out: dict[str, Key] = {}
    for jwk in entries:
        kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
        if not isinstance(kid, str):
            continue
        if kid in out:
            raise ValueError(f"kid {kid!r} appears twice in the JWKS")
        out[kid] = Key.from_jwk(jwk)
    return out
