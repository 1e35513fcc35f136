"""verify_relay_request: the relay's signature (tag, coverage) and the strict envelope."""

from __future__ import annotations

import json
import unittest
from typing import Any

from countersign_verify import (
    Key,
    NonceCache,
    RelayRequest,
    ReplayProtectionDisabledWarning,
    VerificationError,
    parse_relay_envelope,
    verify_relay_request,
)
from tests._support import only_labels, require_cryptography, rfc_key_entries, sign, sign_many

NOW = 1_700_000_000
URL = "https://api.example.com/myapi"
RELAY = Key.hmac_sha256(b"relay-secret-" * 3, "relay-1")
ENVELOPE = {
    "user": {"user_id": "u-123", "group": 1, "locale": "KR", "request_locale": "KR"},
    "data": {"some_data": "Hello"},
    "request": {"id": "req-9f2c", "time": NOW},
}


def relayed(
    envelope: Any = ENVELOPE, *, content_type: str = "application/json", **options: Any
) -> dict:
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    signer: dict[str, Any] = dict(key=RELAY, key_id="relay-1", created=NOW, tag="countersign-relay")
    signer.update(options)
    headers = sign(
        "POST", URL, [("Host", "api.example.com"), ("Content-Type", content_type)], body, **signer
    )
    return {"method": "POST", "url": URL, "headers": headers, "body": body}


NEXT_RELAY = Key.hmac_sha256(b"next-relay-secret-" * 2, "relay-2")


def rotated_relay() -> dict:
    """A relayed request signed with the current and the next relay key, one nonce for both."""
    body = json.dumps(ENVELOPE).encode()
    common = dict(created=NOW, tag="countersign-relay")
    headers = sign_many(
        "POST",
        URL,
        [("Host", "api.example.com"), ("Content-Type", "application/json")],
        body,
        [
            dict(key=RELAY, key_id="relay-1", label="sig1", **common),
            dict(key=NEXT_RELAY, key_id="relay-2", label="sig2", **common),
        ],
    )
    return {"method": "POST", "url": URL, "headers": headers, "body": body}


def check(req: dict, **options: Any) -> RelayRequest:
    options.setdefault("keys", {"relay-1": RELAY})
    options.setdefault("now", NOW)
    return verify_relay_request(req["method"], req["url"], req["headers"], req["body"], **options)


class RelayTests(unittest.TestCase):
    def assertCode(self, code: str, req: dict, **options: Any) -> None:
        with self.assertRaises(VerificationError) as ctx:
            check(req, **options)
        self.assertEqual(ctx.exception.code, code, ctx.exception.message)

    def test_verified_envelope(self) -> None:
        result = check(relayed(), nonce_store=NonceCache())
        self.assertEqual(result.user["user_id"], "u-123")
        self.assertEqual(result.user["locale"], "KR")
        self.assertEqual(result.data, {"some_data": "Hello"})
        self.assertEqual(result.request_id, "req-9f2c")
        self.assertEqual(result.request_time, NOW)
        self.assertEqual(result.verified.key_id, "relay-1")
        self.assertEqual(result.verified.params["tag"], "countersign-relay")

    def test_ed25519_relay_key_from_a_jwks_entry(self) -> None:
        require_cryptography(self)
        jwk = rfc_key_entries()["test-key-ed25519"]["jwk"]
        public = {k: v for k, v in jwk.items() if k != "d"}
        req = relayed(key=Key.from_jwk(jwk), key_id="test-key-ed25519")
        result = check(req, keys={"test-key-ed25519": Key.from_jwk(public)})
        self.assertEqual(result.verified.algorithm, "ed25519")

    def test_tag_and_coverage(self) -> None:
        self.assertCode("signature_missing", relayed(tag=None))
        self.assertCode("signature_missing", relayed(tag="other"))
        self.assertEqual(check(relayed(tag="mine"), relay_tag="mine").request_id, "req-9f2c")
        self.assertCode(
            "component_missing", relayed(components=["@method", "@target-uri", "content-digest"])
        )
        self.assertCode(
            "component_missing", relayed(components=["@method", "content-digest", "content-type"])
        )

    def test_identity_is_bound_to_the_body(self) -> None:
        req = relayed()
        forged = json.dumps({**ENVELOPE, "user": {"user_id": "admin"}}).encode()
        self.assertCode("digest_mismatch", {**req, "body": forged})
        self.assertCode("signature_invalid", {**req, "url": "https://api.example.com/other"})

    def test_replay(self) -> None:
        cache = NonceCache()
        req = relayed()
        check(req, nonce_store=cache)
        self.assertCode("replayed", req, nonce_store=cache)

    def test_replay_is_refused_by_default(self) -> None:
        req = relayed()
        self.assertEqual(check(req).request_id, "req-9f2c")
        self.assertCode("replayed", req)
        self.assertCode("replayed", req, now=NOW + 250)

    def test_a_nonce_is_required_by_default(self) -> None:
        self.assertCode("signature_invalid", relayed(nonce=None))
        self.assertCode("signature_invalid", relayed(nonce=None), nonce_store=NonceCache())
        self.assertEqual(check(relayed(nonce=None), require_nonce=False).request_id, "req-9f2c")

    def test_opting_out_warns(self) -> None:
        req = relayed()
        for _ in range(2):
            with self.assertWarns(ReplayProtectionDisabledWarning):
                self.assertEqual(check(req, replay_protection=False).request_id, "req-9f2c")
        with self.assertRaises(ValueError):
            check(relayed(), replay_protection=False, nonce_store=NonceCache())

    def test_a_failing_store_fails_closed(self) -> None:
        class Broken:
            def consume_once(self, key: str, ttl: Any) -> bool:
                raise OSError("down")

        self.assertCode("store_unavailable", relayed(), nonce_store=Broken())

    def test_rotated_relay_keys_accept_one_request_once(self) -> None:
        keys = {"relay-1": RELAY, "relay-2": NEXT_RELAY}
        for first in [("sig1", "sig2"), ("sig2",), ("sig1",)]:
            with self.subTest(first=first):
                req = rotated_relay()
                presented = {**req, "headers": only_labels(req["headers"], *first)}
                self.assertEqual(check(presented, keys=keys).user["user_id"], "u-123")
                for later in [("sig1", "sig2"), ("sig1",), ("sig2",)]:
                    replay = {**req, "headers": only_labels(req["headers"], *later)}
                    self.assertCode("replayed", replay, keys=keys)

    def test_media_type(self) -> None:
        self.assertEqual(
            check(relayed(content_type="Application/JSON; charset=utf-8")).user["user_id"], "u-123"
        )
        self.assertCode("unsupported_media_type", relayed(content_type="text/plain"))

    def test_strict_envelope(self) -> None:
        ok = json.dumps(ENVELOPE)
        cases: list[tuple[Any, str]] = [
            (b"\xff", "invalid_json"),
            (b"{", "invalid_json"),
            (ok.replace('"data"', '"user": {}, "data"', 1).encode(), "invalid_json"),  # duplicate
            (
                b'{"user": {"user_id": "u"}, "data": NaN, "request": {"id": "r", "time": 1}}',
                "invalid_json",
            ),
            (b"[]", "malformed"),
            ({**ENVELOPE, "extra": 1}, "malformed"),
            ({k: v for k, v in ENVELOPE.items() if k != "data"}, "malformed"),
        ]
        for envelope, code in cases:
            with self.subTest(envelope=envelope):
                self.assertCode(code, relayed(envelope))
        empty = relayed(b"", components=["@method", "@target-uri", "content-type"])
        self.assertCode("malformed", empty)

    def test_envelope_parser(self) -> None:
        user, data, request_id, time = parse_relay_envelope(json.dumps(ENVELOPE).encode())
        self.assertEqual(
            (user["user_id"], data, request_id, time),
            ("u-123", {"some_data": "Hello"}, "req-9f2c", NOW),
        )
        compat = {
            **ENVELOPE,
            "api_key": "legacy",
            "request": {"id": "r", "time": "2026-11-23T10:00:00Z"},
        }
        self.assertEqual(
            parse_relay_envelope(json.dumps(compat).encode())[3], "2026-11-23T10:00:00Z"
        )
        for envelope in [
            {**ENVELOPE, "user": {"user_id": ""}},
            {**ENVELOPE, "user": {"user_id": 7}},
            {**ENVELOPE, "user": "u-123"},
            {**ENVELOPE, "request": {"id": "r"}},
            {**ENVELOPE, "request": {"id": "r", "time": 1, "x": 2}},
            {**ENVELOPE, "request": {"id": "", "time": 1}},
            {**ENVELOPE, "request": {"id": "r", "time": True}},
            {**ENVELOPE, "request": {"id": "r", "time": None}},
            {**ENVELOPE, "request": {"id": "r", "time": ""}},
        ]:
            with self.subTest(envelope=envelope), self.assertRaises(VerificationError) as ctx:
                parse_relay_envelope(json.dumps(envelope).encode())
            self.assertEqual(ctx.exception.code, "malformed")


if __name__ == "__main__":
    unittest.main()
