"""RFC 9421 conformance: every signature base byte for byte, every signature verifies,
deterministic signatures reproduce, Appendix B.4 transformations behave as the RFC says."""

from __future__ import annotations

import dataclasses
import unittest
from typing import Any

from countersign_verify import (
    HttpMessage,
    NonceCache,
    VerificationError,
    sf,
    signature_base,
    verify_message,
)
from countersign_verify.components import component_value, parse_component, validate_components
from tests._support import RFC, b64, body_of, load, message_from, require_cryptography, rfc_keys

B2 = load(RFC / "rfc9421-appendix-b2.json")
B3B4 = load(RFC / "rfc9421-appendix-b3-b4.json")
SECTIONS = load(RFC / "rfc9421-section-examples.json")


def signing_cases() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(case, message vector) for every signed example in the vector files."""
    out = [(c, B2["messages"][c["message"]]) for c in B2["cases"]]
    out += [(c, c["message"]) for c in B3B4["cases"]]
    out += [(c, c["message"]) for c in SECTIONS["signingCases"]]
    return out


def signed_message(case: dict[str, Any], vector: dict[str, Any]) -> HttpMessage:
    """The case's message carrying its Signature-Input and Signature fields."""
    message = message_from(
        vector, [("Signature-Input", case["signatureInput"]), ("Signature", case["signature"])]
    )
    if "relatedRequest" in case:
        message = dataclasses.replace(message, request=message_from(case["relatedRequest"]))
    return message


def member_of(case: dict[str, Any]) -> sf.InnerList:
    member = sf.parse_dictionary(case["signatureInput"])[case["label"]]
    assert isinstance(member, sf.InnerList)
    return member


class SignatureBaseTests(unittest.TestCase):
    def test_every_signature_base_is_byte_exact(self) -> None:
        cases = signing_cases()
        self.assertEqual(len(cases), 14)
        for case, vector in cases:
            with self.subTest(case=case["id"]):
                message = signed_message(case, vector)
                base = signature_base(message, member_of(case))
                self.assertEqual(base, case["signatureBase"].encode("ascii"))
                params = sf.serialize_inner_list(member_of(case))
                self.assertEqual(params, case["signatureParamsValue"])

    def test_field_canonicalisation_from_raw_lines(self) -> None:
        example = SECTIONS["componentValueExamples"][0]
        raw: list[tuple[str, str]] = []
        for line in example["rawFieldLines"]:
            if line[0] in " \t":
                name, value = raw.pop()
                raw.append((name, value + "\r\n" + line))  # obs-fold continuation
            else:
                name, _, value = line.partition(":")
                raw.append((name, value))
        for headers in (raw, [tuple(h) for h in example["parsedHeaders"]]):
            message = HttpMessage(headers=headers, method="GET", url="https://www.example.com/")
            for line in example["expectedBaseLines"]:
                self.assert_line(message, line)

    def test_component_value_examples(self) -> None:
        checked = 0
        for example in SECTIONS["componentValueExamples"][1:]:
            title = example["title"]
            lines = example.get("expectedBaseLines") or [example.get("expectedBaseLine")]
            with self.subTest(section=example["section"], title=title):
                if "rawMessage" in example:  # 2.1.4 trailers: refused by Countersign's profile
                    message = HttpMessage(
                        headers=[("Content-Type", "text/plain"), ("Trailer", "Expires")], status=200
                    )
                    self.assert_line(message, lines[0])
                    self.assert_line(message, lines[1])
                    with self.assertRaises(VerificationError) as ctx:
                        validate_components([parse_component('"expires";tr')])
                    self.assertEqual(ctx.exception.code, "component_unsupported")
                elif "acceptSignature" in example:
                    value = example["acceptSignature"]
                    parsed = sf.parse_dictionary(value)
                    self.assertIs(parsed["sig1"].params["created"], True)
                    self.assertEqual(sf.serialize_dictionary(parsed), value)
                elif lines == [None]:  # 2.3: @signature-params serialisation keeps the order
                    value = example["expectedValue"]
                    self.assertEqual(sf.serialize_inner_list(sf.parse_list(value)[0]), value)
                else:
                    message = self.example_message(example)
                    for line in lines:
                        self.assert_line(message, line)
                    for wrong in example.get("invalidIfNotEncoded", []):
                        self.assertNotIn(wrong, lines)
                checked += 1
        self.assertEqual(checked, len(SECTIONS["componentValueExamples"]) - 1)

    def example_message(self, example: dict[str, Any]) -> HttpMessage:
        if "response" in example:
            r = example["response"]
            return HttpMessage(headers=[tuple(h) for h in r["headers"]], status=r["status"])
        if "request" in example:
            r = example["request"]
            if "targetUri" in r:
                return message_from(r)
            target = r["requestTarget"]
            host = dict((n.lower(), v) for n, v in r["headers"]).get("host")
            scheme = r.get("scheme", "https")
            if "://" in target:
                url = target
            elif target.startswith("/"):
                url = f"{scheme}://{host}{target}"
            else:  # authority form (CONNECT) and asterisk form (OPTIONS *)
                url = f"{scheme}://{host}/"
            return HttpMessage(
                headers=[tuple(h) for h in r["headers"]],
                method=r["method"],
                url=url,
                request_target=target,
            )
        headers = example.get("headers") or [example["header"]]
        return HttpMessage(headers=[tuple(h) for h in headers], method="GET", url="https://a/")

    def assert_line(self, message: HttpMessage, line: str) -> None:
        split = line.index(": ")
        while True:  # the identifier is the shortest prefix that is an sf Item
            try:
                component = parse_component(line[:split])
                break
            except VerificationError:
                split = line.index(": ", split + 1)
        validate_components([component])
        types = {"example-dict": "dictionary"}  # RFC 9421 §2.1.1 declares it a Dictionary
        value = component_value(message, component, types)
        self.assertEqual(f"{component.id}: {value}", line)
        if "sf" in component.params:
            with self.assertRaises(VerificationError) as ctx:
                component_value(message, component)  # unknown without the declaration
            self.assertEqual(ctx.exception.code, "component_unsupported")

    def test_unverifiable_examples_parse(self) -> None:
        for example in SECTIONS["unverifiableExamples"]:
            inputs = sf.parse_dictionary(example["signatureInput"], unique=True)
            signatures = sf.parse_dictionary(example["signature"], unique=True)
            self.assertEqual(list(inputs), list(signatures))
            self.assertEqual(len(signatures["sig1"].value), 256)


class SignatureVerificationTests(unittest.TestCase):
    def setUp(self) -> None:
        require_cryptography(self)

    def verify(
        self, case: dict[str, Any], vector: dict[str, Any], keys: dict, **options: Any
    ) -> Any:
        created = sf.parse_dictionary(case["signatureInput"])[case["label"]].params["created"]
        return verify_message(
            signed_message(case, vector),
            body_of(vector),
            keys=keys,
            required_components=[],
            now=created + 1,
            nonce_store=NonceCache(),  # the same vector is verified with several key sources
            require_nonce=False,
            **options,
        )

    def test_every_signature_verifies_with_pem_and_jwk_keys(self) -> None:
        for source in ("pem", "jwk"):
            keys = rfc_keys(jwk=source == "jwk")
            for case, vector in signing_cases():
                with self.subTest(case=case["id"], keys=source):
                    verified = self.verify(case, vector, keys, label=case["label"])
                    self.assertEqual(verified.key_id, case["keyid"])
                    self.assertEqual(verified.algorithm, case["algorithm"])
                    self.assertEqual(verified.body, body_of(vector))

    def test_window_disabled_explicitly(self) -> None:
        case, vector = signing_cases()[4]  # B.2.5
        message = signed_message(case, vector)
        common = dict(keys=rfc_keys(), required_components=[], label=case["label"])
        with self.assertRaises(VerificationError) as ctx:
            verify_message(message, body_of(vector), **common)  # 2021 is long ago
        self.assertEqual(ctx.exception.code, "signature_expired")
        verified = verify_message(message, body_of(vector), max_age=None, **common)
        self.assertEqual(verified.label, "sig-b25")

    def test_deterministic_signatures_reproduce(self) -> None:
        reproduced = []
        for source in ("pem", "jwk"):
            keys = rfc_keys(private=True, jwk=source == "jwk")
            for case, _ in signing_cases():
                if not case["deterministic"]:
                    continue
                with self.subTest(case=case["id"], keys=source):
                    key = keys[case["keyid"]]
                    signature = key.sign(case["signatureBase"].encode("ascii"))
                    self.assertEqual(signature, b64(case["signatureValueBase64"]))
                    reproduced.append(case["id"])
        self.assertEqual(
            sorted(set(reproduced)), ["4.3-proxy", "B.2.5", "B.2.6", "B.4"], "deterministic cases"
        )

    def test_randomised_algorithms_round_trip(self) -> None:
        keys = rfc_keys(private=True, jwk=True)
        for kid in ("test-key-rsa-pss", "test-key-ecc-p256"):
            with self.subTest(key=kid):
                signature = keys[kid].sign(b"base")
                self.assertTrue(keys[kid].verify(b"base", signature))
                self.assertFalse(keys[kid].verify(b"base!", signature))

    def test_any_changed_byte_breaks_every_signature(self) -> None:
        keys = rfc_keys()
        for case, vector in signing_cases():
            with self.subTest(case=case["id"]):
                signature = bytearray(b64(case["signatureValueBase64"]))
                signature[len(signature) // 2] ^= 0x01
                key = keys[case["keyid"]]
                self.assertFalse(
                    key.verify(case["signatureBase"].encode("ascii"), bytes(signature))
                )
                base = case["signatureBase"].encode("ascii") + b" "
                self.assertFalse(key.verify(base, b64(case["signatureValueBase64"])))

    def test_proxy_message_without_label_skips_the_broken_client_signature(self) -> None:
        case = next(c for c in SECTIONS["signingCases"] if c["id"] == "4.3-proxy")
        verified = self.verify(case, case["message"], rfc_keys())
        self.assertEqual(verified.label, "proxy_sig")
        with self.assertRaises(VerificationError) as ctx:
            self.verify(case, case["message"], rfc_keys(), label="sig1")
        self.assertEqual(ctx.exception.code, "signature_invalid")

    def test_b4_transformations(self) -> None:
        case = B3B4["cases"][1]
        self.assertEqual(case["id"], "B.4")
        keys = rfc_keys()
        self.verify(case, case["message"], keys)
        variants = case["transformedVariants"]
        self.assertEqual(len(variants), 5)
        for variant in variants:
            with self.subTest(variant=variant["description"]):
                if variant["expectVerify"]:
                    verified = self.verify(case, variant["message"], keys)
                    self.assertEqual(verified.label, "transform")
                else:
                    with self.assertRaises(VerificationError) as ctx:
                        self.verify(case, variant["message"], keys)
                    self.assertEqual(ctx.exception.code, "signature_invalid")

    def test_published_draft_digest_is_rejected(self) -> None:
        case = next(c for c in B2["cases"] if c["id"] == "B.2.4")
        vector = dict(B2["messages"]["test-response"])
        draft = "sha-512=:JlEy2bfUz7WrWIjc1qV6KVLpdr/7L5/L4h7Sxvh6sNHpDQWDCL+GauFQWcZBvVDhiyOnAQsxzZFYwi0wDH+1pw==:"
        vector["headers"] = [
            [n, draft if n == "Content-Digest" else v] for n, v in vector["headers"]
        ]
        with self.assertRaises(VerificationError) as ctx:
            self.verify(case, vector, rfc_keys())
        self.assertEqual(ctx.exception.code, "signature_invalid")


if __name__ == "__main__":
    unittest.main()
