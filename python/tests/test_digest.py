"""RFC 9530 Content-Digest vectors, over the exact body bytes."""

from __future__ import annotations

import unittest

from countersign_verify import (
    VerificationError,
    content_digest,
    parse_content_digest,
    verify_content_digest,
)
from tests._support import RFC, b64, load

VECTORS = load(RFC / "rfc9530-content-digest.json")


def body_of(case: dict) -> bytes:
    if "bodyHex" in case:
        return bytes.fromhex(case["bodyHex"].replace(" ", ""))
    return case["bodyUtf8"].encode("utf-8")


class ContentDigestTests(unittest.TestCase):
    def test_rfc9530_cases(self) -> None:
        checked = 0
        for case in VECTORS["cases"]:
            with self.subTest(case=case["id"]):
                if "fieldValue" in case:
                    parsed = parse_content_digest(case["fieldValue"])
                    self.assertEqual(
                        [(k, v) for k, v in parsed.items()],
                        [(k, b64(v)) for k, v in case["parseExpect"]],
                    )
                    checked += 1
                    continue
                body = body_of(case)
                expected = case["expected"]
                algorithm = expected.split("=", 1)[0]
                self.assertEqual(content_digest(body, algorithm), expected)
                self.assertEqual(verify_content_digest(expected, body), [algorithm])
                if "expectedSha512" in case:
                    self.assertEqual(content_digest(body, "sha-512"), case["expectedSha512"])
                    both = content_digest(body, ["sha-256", "sha-512"])
                    self.assertEqual(both, expected + ", " + case["expectedSha512"])
                    self.assertEqual(verify_content_digest(both, body), ["sha-256", "sha-512"])
                if "mustReject" in case:
                    with self.assertRaises(VerificationError) as ctx:
                        verify_content_digest(case["mustReject"], body)
                    self.assertEqual(ctx.exception.code, "digest_mismatch")
                with self.assertRaises(VerificationError) as ctx:
                    verify_content_digest(expected, body + b"\n")
                self.assertEqual(ctx.exception.code, "digest_mismatch")
                checked += 1
        self.assertEqual(checked, len(VECTORS["cases"]))

    def test_sample_values_only_sha2_is_trusted(self) -> None:
        sample = VECTORS["sampleDigestValues"]
        body = sample["input"].encode()
        for name, value in sample["values"].items():
            with self.subTest(algorithm=name):
                field = f"{name}={value}"
                if name in ("sha-256", "sha-512"):
                    self.assertEqual(verify_content_digest(field, body), [name])
                else:  # deprecated algorithms are ignored, so nothing is left to trust
                    with self.assertRaises(VerificationError) as ctx:
                        verify_content_digest(field, body)
                    self.assertEqual(ctx.exception.code, "digest_mismatch")

    def test_every_present_accepted_algorithm_must_match(self) -> None:
        body = b'{"hello": "world"}'
        good = content_digest(body, "sha-256")
        bad512 = content_digest(b"other", "sha-512")
        with self.assertRaises(VerificationError) as ctx:
            verify_content_digest(f"{good}, {bad512}", body)
        self.assertEqual(ctx.exception.code, "digest_mismatch")
        self.assertEqual(verify_content_digest(f"{good}, {bad512}", body, ["sha-256"]), ["sha-256"])

    def test_malformed_and_duplicate_values(self) -> None:
        body = b"x"
        good = content_digest(body)
        cases = {
            "sha-256=abc": "malformed",  # a token, not a byte sequence
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:": "malformed",  # unpadded
            "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg==:": "malformed",  # RFC 9530 typo
            f"{good}, {good}": "duplicate_header",
            "": "digest_mismatch",
            "md5=:Sd/dVLAcvNLSq16eXua5uQ==:": "digest_mismatch",
            "sha-256=:AAAA:": "digest_mismatch",
        }
        for value, code in cases.items():
            with self.subTest(value=value), self.assertRaises(VerificationError) as ctx:
                verify_content_digest(value, body)
            self.assertEqual(ctx.exception.code, code)
        with self.assertRaises(ValueError):
            content_digest(body, "md5")


if __name__ == "__main__":
    unittest.main()
