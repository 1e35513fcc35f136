"""Countersign profile vectors (packages/testkit/vectors/countersign/*.json), made by the
TypeScript signer (and a hand-computed example.json). The format is defined in python/README.md
and packages/testkit/vectors/countersign/README.md; this test enforces it."""

from __future__ import annotations

import base64
import binascii
import unittest
from typing import Any

from countersign_verify import (
    DEFAULT_REQUIRED_COMPONENTS,
    Key,
    NonceCache,
    VerificationError,
    verify_relay_request,
    verify_request,
)
from tests._support import PROFILE, load

FORMAT = "countersign-profile-vectors/1"
CASE_MEMBERS = {
    "id",
    "description",
    "method",
    "url",
    "headers",
    "body",
    "bodyBase64",
    "key",
    "now",
    "options",
    "expected",
}
OPTION_MEMBERS = {
    "requiredComponents",
    "maxAge",
    "maxFuture",
    "tag",
    "label",
    "requireNonce",
    "seenNonces",
    "relay",
}
EXPECTED_MEMBERS = {"valid", "code", "keyId", "userId", "requestId"}


def b64url(text: str) -> bytes:
    if "=" in text:
        raise ValueError("base64url must be unpadded")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every case of every vector file, as (file name, case)."""
    cases = []
    for path in sorted(PROFILE.glob("*.json")):
        document = load(path)
        if document.get("format") != FORMAT or not isinstance(document.get("cases"), list):
            raise AssertionError(f"{path.name}: not a {FORMAT} document")
        cases += [(path.name, case) for case in document["cases"]]
    return cases


def key_of(spec: dict[str, Any]) -> tuple[str, Key]:
    if "jwk" in spec:
        jwk = spec["jwk"]
        key_id = spec.get("keyId", jwk.get("kid"))
        assert isinstance(key_id, str), "a JWK key needs keyId or kid"
        return key_id, Key.from_jwk(jwk, key_id=key_id)
    assert spec.get("algorithm", "hmac-sha256") == "hmac-sha256", "a secret is an hmac-sha256 key"
    return spec["keyId"], Key.hmac_sha256(b64url(spec["secret"]), spec["keyId"])


def body_of(case: dict[str, Any]) -> bytes:
    assert not ("body" in case and "bodyBase64" in case), "body and bodyBase64 are exclusive"
    if "bodyBase64" in case:
        return base64.b64decode(case["bodyBase64"], validate=True)
    return case.get("body", "").encode("utf-8")


def run_case(case: dict[str, Any]) -> Any:
    key_id, key = key_of(case["key"])
    options = case.get("options", {})
    store = NonceCache()  # one per case: the cases are independent
    for nonce in options.get("seenNonces", []):
        store.consume_once("sig-nonce:" + nonce, None)
    common: dict[str, Any] = dict(
        keys={key_id: key},
        now=case["now"],
        max_age=options.get("maxAge", 300),
        max_future=options.get("maxFuture", 60),
        nonce_store=store,
        # default: when seenNonces is given (a relay request always needs one)
        require_nonce=options.get("requireNonce", "seenNonces" in options or None),
        label=options.get("label"),
    )
    headers = [(name, value) for name, value in case["headers"]]
    if options.get("relay"):
        if "tag" in options:
            common["relay_tag"] = options["tag"]
        return verify_relay_request(case["method"], case["url"], headers, body_of(case), **common)
    if common["require_nonce"] is None:
        common["require_nonce"] = False
    return verify_request(
        case["method"],
        case["url"],
        headers,
        body_of(case),
        required_components=options.get("requiredComponents", DEFAULT_REQUIRED_COMPONENTS),
        tag=options.get("tag"),
        **common,
    )


class ProfileVectorTests(unittest.TestCase):
    def test_profile_vectors(self) -> None:
        cases = load_cases()
        self.assertGreaterEqual(len(cases), 1, f"no profile vectors in {PROFILE}")
        ids = [f"{name}:{case.get('id')}" for name, case in cases]
        self.assertEqual(len(ids), len(set(ids)), "case ids must be unique per file")
        for name, case in cases:
            with self.subTest(file=name, case=case.get("id")):
                self.assertLessEqual(set(case), CASE_MEMBERS, "unknown case member")
                self.assertLessEqual(set(case.get("options", {})), OPTION_MEMBERS, "unknown option")
                expected = case["expected"]
                self.assertLessEqual(set(expected), EXPECTED_MEMBERS, "unknown expected member")
                if expected["valid"]:
                    result = run_case(case)
                    verified = getattr(result, "verified", result)
                    if "keyId" in expected:
                        self.assertEqual(verified.key_id, expected["keyId"])
                    if "userId" in expected:
                        self.assertEqual(result.user["user_id"], expected["userId"])
                    if "requestId" in expected:
                        self.assertEqual(result.request_id, expected["requestId"])
                else:
                    self.assertIn("code", expected, "an invalid case names its code")
                    with self.assertRaises(VerificationError) as ctx:
                        run_case(case)
                    self.assertEqual(ctx.exception.code, expected["code"], ctx.exception.message)

    def test_base64url_helper(self) -> None:
        self.assertEqual(b64url("AQI"), b"\x01\x02")
        with self.assertRaises((ValueError, binascii.Error)):
            b64url("AQI=")


if __name__ == "__main__":
    unittest.main()
