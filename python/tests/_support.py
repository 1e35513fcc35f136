"""Shared helpers for the tests: vector locations, loaders, and the `cryptography` check."""

from __future__ import annotations

import base64
import json
import secrets
import unittest
from pathlib import Path
from typing import Any

PYTHON_DIR = Path(__file__).resolve().parent.parent
REPO = PYTHON_DIR.parent
VECTORS = REPO / "packages" / "testkit" / "vectors"
RFC = VECTORS / "rfc"
SF_TESTS = VECTORS / "structured-field-tests"
WYCHEPROOF = VECTORS / "wycheproof"
PROFILE = VECTORS / "countersign"

CRYPTOGRAPHY_MISSING = (
    "the asymmetric tests need the 'cryptography' package (Debian: python3-cryptography); "
    "install it: these tests fail rather than skip so that CI notices"
)


def load(path: Path) -> Any:
    """Reads a JSON vector file."""
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def require_cryptography(case: unittest.TestCase) -> None:
    """Fails (never skips) the calling test when `cryptography` cannot be imported."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        case.fail(CRYPTOGRAPHY_MISSING)


def b64(text: str) -> bytes:
    """Standard base64 decode (padded)."""
    return base64.b64decode(text, validate=True)


def rfc_key_entries() -> dict[str, Any]:
    """The RFC 9421 Appendix B.1 keys, by key id."""
    return load(RFC / "rfc9421-keys.json")["keys"]


def rfc_keys(*, private: bool = False, jwk: bool = False) -> dict[str, Any]:
    """RFC 9421 test keys as `Key`s by key id: from the PEMs (default) or the JWKs."""
    from countersign_verify import Key

    out: dict[str, Any] = {}
    for kid, entry in rfc_key_entries().items():
        algorithm = entry["algorithms"][0]
        if algorithm == "hmac-sha256":
            out[kid] = Key.hmac_sha256(b64(entry["secretBase64"]), kid)
        elif jwk:
            out[kid] = Key.from_jwk(entry["jwk"], algorithm=algorithm)
        else:
            pem = entry["privateKeyPem" if private else "publicKeyPem"]
            out[kid] = Key.from_pem(pem, algorithm, key_id=kid)
    return out


def message_from(vector: dict[str, Any], extra: list[tuple[str, str]] = ()) -> Any:
    """An `HttpMessage` from a vector's message object (request or response), plus extra headers."""
    from countersign_verify import HttpMessage

    headers = [(n, v) for n, v in vector["headers"]] + list(extra)
    if vector.get("type") == "response" or "status" in vector:
        return HttpMessage(headers=headers, status=vector["status"])
    return HttpMessage(
        headers=headers,
        method=vector["method"],
        url=vector["targetUri"],
        request_target=vector.get("requestTarget"),
    )


def body_of(vector: dict[str, Any]) -> bytes:
    """The body bytes of a vector's message (`null` is empty)."""
    body = vector.get("body")
    return b"" if body is None else body.encode("utf-8")


#: The default `nonce` of `sign`: a new random one per call, as a real signer makes.
FRESH_NONCE: Any = object()


def sign(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    key: Any,
    *,
    key_id: str = "client-1",
    created: int = 1_700_000_000,
    components: list[str] | None = None,
    extra_params: str = "",
    nonce: str | None = FRESH_NONCE,
    tag: str | None = None,
    label: str = "sig1",
    digest: bool = True,
) -> list[tuple[str, str]]:
    """A minimal test signer: returns `headers` plus Content-Digest, Signature-Input, Signature.

    Covers `@method @target-uri content-digest content-type` by default (the Countersign
    profile). `extra_params` is appended verbatim to the parameters (e.g. `;alg="ed25519"`).
    """
    from countersign_verify import HttpMessage, content_digest, sf, signature_base

    headers = list(headers)
    if digest and body:
        headers.append(("Content-Digest", content_digest(body)))
    if components is None:
        components = ["@method", "@target-uri"]
        if body:
            components.append("content-digest")
        if any(n.lower() == "content-type" for n, _ in headers):
            components.append("content-type")
    if nonce is FRESH_NONCE:
        nonce = secrets.token_urlsafe(16)
    ids = " ".join(c if c.startswith('"') else f'"{c}"' for c in components)
    params = f";created={created};keyid={sf.serialize_bare_item(key_id)}"
    if nonce is not None:
        params += f";nonce={sf.serialize_bare_item(nonce)}"
    if tag is not None:
        params += f";tag={sf.serialize_bare_item(tag)}"
    member_text = f"({ids}){params}{extra_params}"
    member = sf.parse_list(member_text)[0]
    message = HttpMessage(headers=headers, method=method, url=url)
    signature = key.sign(signature_base(message, member))
    headers.append(("Signature-Input", f"{label}={member_text}"))
    headers.append(("Signature", f"{label}=:{base64.b64encode(signature).decode()}:"))
    return headers


def sign_many(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    signers: list[dict[str, Any]],
    *,
    nonce: str | None = FRESH_NONCE,
) -> list[tuple[str, str]]:
    """One request signed several times (key rotation: current and next key), as one
    `Signature-Input` and one `Signature` field. Every signature uses `nonce` (one fresh nonce
    for all by default, as the signer does) unless its `signers` entry names its own. Each entry
    holds `sign`'s options (`key`, `key_id`, `label`, ...)."""
    from countersign_verify import content_digest

    if nonce is FRESH_NONCE:
        nonce = secrets.token_urlsafe(16)
    headers = list(headers) + ([("Content-Digest", content_digest(body))] if body else [])
    inputs, signatures = [], []
    for options in signers:
        signed = sign(method, url, headers, body, **{"nonce": nonce, **options, "digest": False})
        inputs.append(signed[-2][1])
        signatures.append(signed[-1][1])
    return headers + [("Signature-Input", ", ".join(inputs)), ("Signature", ", ".join(signatures))]


def only_labels(headers: list[tuple[str, str]], *labels: str) -> list[tuple[str, str]]:
    """`headers` with the members of `Signature-Input` and `Signature` cut to `labels`: what an
    attacker can do, since those two fields are not signed."""
    from countersign_verify import sf

    out = []
    for name, value in headers:
        if name.lower() in ("signature-input", "signature"):
            members = sf.parse_dictionary(value)
            kept = {k: v for k, v in members.items() if k in labels}
            value = sf.serialize_dictionary(kept)
        out.append((name, value))
    return out
