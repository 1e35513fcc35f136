"""verify_request: the Countersign policy (window, replay, duplicates, algorithm confusion,
tampering, coverage) with the stable error codes of the TypeScript verifier."""

from __future__ import annotations

import base64
import threading
import unittest
from typing import Any

from countersign_verify import (
    ERROR_CODES,
    Key,
    NonceCache,
    NonceStore,
    ReplayProtectionDisabledWarning,
    VerificationError,
    Verified,
    default_nonce_store,
    verify_request,
)
from tests._support import only_labels, require_cryptography, rfc_key_entries, sign, sign_many

NOW = 1_700_000_000
URL = "https://api.example.com/v1/orders?page=2"
BODY = b'{"item": "book", "qty": 1}'
SECRET = bytes(range(32))
HMAC = Key.hmac_sha256(SECRET, "client-1")


def request(**overrides: Any) -> dict[str, Any]:
    """A signed POST with an HMAC key; `overrides` go to the test signer."""
    options: dict[str, Any] = dict(key=HMAC, key_id="client-1", created=NOW)
    options.update(overrides)
    headers = sign(
        "POST",
        URL,
        [("Host", "api.example.com"), ("Content-Type", "application/json")],
        BODY,
        **options,
    )
    return {"method": "POST", "url": URL, "headers": headers, "body": BODY}


def check(req: dict[str, Any], **options: Any) -> Verified:
    options.setdefault("keys", {"client-1": HMAC})
    options.setdefault("now", NOW)
    return verify_request(req["method"], req["url"], req["headers"], req["body"], **options)


class VerifyTestCase(unittest.TestCase):
    def assertCode(self, code: str, req: dict[str, Any], **options: Any) -> VerificationError:
        with self.assertRaises(VerificationError) as ctx:
            check(req, **options)
        self.assertEqual(ctx.exception.code, code, ctx.exception.message)
        self.assertEqual(ctx.exception.status, ERROR_CODES[code])
        return ctx.exception


class HappyPathTests(VerifyTestCase):
    def test_hmac_request_verifies(self) -> None:
        verified = check(request(nonce="n-0001"))
        self.assertEqual(verified.key_id, "client-1")
        self.assertEqual(verified.algorithm, "hmac-sha256")
        self.assertEqual(verified.label, "sig1")
        self.assertEqual(
            verified.components,
            ['"@method"', '"@target-uri"', '"content-digest"', '"content-type"'],
        )
        self.assertEqual(verified.params, {"created": NOW, "keyid": "client-1", "nonce": "n-0001"})
        self.assertEqual(verified.body, BODY)

    def test_key_sources(self) -> None:
        self.assertEqual(
            check(request(), keys=lambda kid: HMAC if kid == "client-1" else None).key_id,
            "client-1",
        )
        with self.assertRaises(TypeError):
            check(request(), keys=lambda kid: "not a key")
        with self.assertRaises(TypeError):
            check(request(), keys=42)

    def test_ed25519_request(self) -> None:
        require_cryptography(self)
        entry = rfc_key_entries()["test-key-ed25519"]
        private = Key.from_jwk(entry["jwk"])
        public = Key.from_pem(entry["publicKeyPem"], "ed25519")
        req = request(key=private, key_id="test-key-ed25519")
        verified = check(req, keys={"test-key-ed25519": public})
        self.assertEqual(verified.algorithm, "ed25519")

    def test_get_without_body_needs_no_digest(self) -> None:
        headers = sign("GET", URL, [("Host", "api.example.com")], b"", HMAC, created=NOW)
        verified = check({"method": "GET", "url": URL, "headers": headers, "body": b""})
        self.assertEqual(verified.components, ['"@method"', '"@target-uri"'])

    def test_equivalent_target_uri_spellings(self) -> None:
        for url in [
            "HTTPS://API.EXAMPLE.COM/v1/orders?page=2",
            "https://api.example.com:443/v1/orders?page=2",
            "https://api.example.com:0443/v1/orders?page=2",
            "https://user:pw@api.example.com/v1/orders?page=2#frag",
        ]:
            with self.subTest(url=url):
                self.assertEqual(check({**request(), "url": url}).key_id, "client-1")


class WindowTests(VerifyTestCase):
    def test_max_age_and_max_future(self) -> None:
        self.assertEqual(check(request(created=NOW - 300)).label, "sig1")
        self.assertCode("signature_expired", request(created=NOW - 301))
        self.assertEqual(check(request(created=NOW + 60)).label, "sig1")
        self.assertCode("signature_expired", request(created=NOW + 61))
        self.assertCode("signature_expired", request(created=NOW - 11), max_age=10)
        self.assertEqual(check(request(created=NOW - 10**6), max_age=None).label, "sig1")
        self.assertEqual(check(request(created=NOW + 10**6), max_future=None).label, "sig1")

    def test_expires(self) -> None:
        self.assertEqual(check(request(extra_params=f";expires={NOW + 1}")).label, "sig1")
        self.assertCode(
            "signature_expired", request(created=NOW - 10, extra_params=f";expires={NOW - 1}")
        )
        self.assertCode(
            "signature_invalid",
            request(created=NOW, extra_params=f";expires={NOW - 5}"),
            now=NOW - 10,
        )

    def test_created_is_required_and_typed(self) -> None:
        req = request()
        headers = [
            (n, v.replace(f";created={NOW}", "")) if n == "Signature-Input" else (n, v)
            for n, v in req["headers"]
        ]
        self.assertCode("signature_invalid", {**req, "headers": headers})
        for bad in ["-1", "1.5", '"1700000000"', "?1"]:
            headers = [
                (n, v.replace(f";created={NOW}", f";created={bad}"))
                if n == "Signature-Input"
                else (n, v)
                for n, v in req["headers"]
            ]
            with self.subTest(created=bad):
                self.assertCode("malformed", {**req, "headers": headers})

    def test_default_clock(self) -> None:
        self.assertCode("signature_expired", request(created=NOW), now=None)


class RecordingStore:
    """A NonceStore that records every call and answers from a set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float | None]] = []
        self.seen: set[str] = set()

    def consume_once(self, key: str, ttl: float | None) -> bool:
        self.calls.append((key, ttl))
        fresh = key not in self.seen
        self.seen.add(key)
        return fresh


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ReplayTests(VerifyTestCase):
    def test_nonce_is_single_use(self) -> None:
        cache = NonceCache()
        req = request(nonce="abc")
        check(req, nonce_store=cache)
        self.assertCode("replayed", req, nonce_store=cache)
        check(request(nonce="def"), nonce_store=cache)

    def test_replay_is_refused_by_default(self) -> None:
        req = request()
        check(req)
        self.assertCode("replayed", req)
        self.assertCode("replayed", req, now=NOW + 200)  # still within the window

    def test_nonce_is_consumed_only_after_the_signature_verified(self) -> None:
        store = RecordingStore()
        bad = request(nonce="abc")
        bad["body"] = b"{}"
        self.assertCode("digest_mismatch", bad, nonce_store=store)
        forged = request(nonce="abc", key=Key.hmac_sha256(b"x" * 32, "client-1"))
        self.assertCode("signature_invalid", forged, nonce_store=store)
        self.assertEqual(store.calls, [])
        check(request(nonce="abc"), nonce_store=store, now=NOW + 10)
        # kept until created + max_age (plus a second), keyed by the nonce alone
        self.assertEqual(store.calls, [("sig-nonce:abc", 291.0)])

    def test_ttl_follows_expires_and_the_window(self) -> None:
        store = RecordingStore()
        check(request(extra_params=f";expires={NOW + 30}"), nonce_store=store)
        check(request(), nonce_store=store, max_age=None)
        self.assertEqual([ttl for _, ttl in store.calls], [31.0, None])

    def test_nonce_required_with_a_store(self) -> None:
        self.assertCode("signature_invalid", request(nonce=None), nonce_store=NonceCache())
        self.assertEqual(check(request(nonce=None)).label, "sig1")
        self.assertCode("signature_invalid", request(nonce=None), require_nonce=True)
        relaxed = check(request(nonce=None), nonce_store=NonceCache(), require_nonce=False)
        self.assertEqual(relaxed.label, "sig1")

    def test_opting_out_is_explicit_and_loud(self) -> None:
        req = request()
        for _ in range(2):
            with self.assertWarns(ReplayProtectionDisabledWarning):
                self.assertEqual(check(req, replay_protection=False).label, "sig1")
        self.assertEqual(check(req).label, "sig1")  # the opt-out recorded nothing
        self.assertCode("replayed", req)
        with self.assertRaises(ValueError):
            check(request(), replay_protection=False, nonce_store=NonceCache())
        with self.assertRaises(TypeError):
            check(request(), replay_protection=0)
        with self.assertRaises(TypeError):
            check(request(), nonce_store=lambda key: False)

    def test_a_failing_store_fails_closed(self) -> None:
        class Broken:
            def consume_once(self, key: str, ttl: float | None) -> bool:
                raise ConnectionError("redis://user:secret@10.0.0.1 is down")

        error = self.assertCode("store_unavailable", request(), nonce_store=Broken())
        self.assertEqual(error.status, 503)
        self.assertNotIn("secret", error.message)

        class Vague:
            def consume_once(self, key: str, ttl: float | None) -> Any:
                return 1

        with self.assertRaises(TypeError):
            check(request(), nonce_store=Vague())

    def test_deprecated_nonce_seen_still_works(self) -> None:
        seen: set[str] = set()

        def nonce_seen(value: str) -> bool:
            used = value in seen
            seen.add(value)
            return used

        req = request(nonce="old")
        with self.assertWarns(DeprecationWarning):
            check(req, nonce_seen=nonce_seen)
        with self.assertWarns(DeprecationWarning):
            self.assertCode("replayed", req, nonce_seen=nonce_seen)
        self.assertEqual(seen, {"sig-nonce:old"})


class NonceCacheTests(unittest.TestCase):
    def test_expires_after_its_ttl(self) -> None:
        clock = FakeClock()
        cache = NonceCache(clock=clock)
        self.assertTrue(cache.consume_once("a", 10))
        self.assertFalse(cache.consume_once("a", 10))
        clock.now += 9.9
        self.assertFalse(cache.consume_once("a", 10))
        clock.now += 0.2
        self.assertTrue(cache.consume_once("a", 10))
        self.assertTrue(cache.consume_once("forever", None))
        clock.now += 10**9
        self.assertFalse(cache.consume_once("forever", None))
        self.assertEqual(len(cache), 1)

    def test_full_refuses_and_never_drops_a_live_nonce(self) -> None:
        clock = FakeClock()
        small = NonceCache(max_entries=2, clock=clock)
        self.assertTrue(small.consume_once("a", 10))
        self.assertTrue(small.consume_once("b", 20))
        with self.assertRaises(VerificationError) as ctx:
            small.consume_once("c", 10)
        self.assertEqual((ctx.exception.code, ctx.exception.status), ("store_full", 503))
        self.assertFalse(small.consume_once("a", 10))  # still remembered
        clock.now += 10
        self.assertTrue(small.consume_once("c", 10))  # "a" expired and made room
        self.assertFalse(small.consume_once("b", 20))

    def test_store_full_reaches_the_caller_as_503(self) -> None:
        cache = NonceCache(max_entries=1)
        check(request(), nonce_store=cache)
        with self.assertRaises(VerificationError) as ctx:
            check(request(), nonce_store=cache)
        self.assertEqual(ctx.exception.code, "store_full")

    def test_one_winner_among_threads(self) -> None:
        cache = NonceCache()
        barrier = threading.Barrier(8)
        results: list[bool] = []

        def race() -> None:
            barrier.wait()
            results.append(cache.consume_once("k", 60))

        threads = [threading.Thread(target=race) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        self.assertEqual(sorted(results), [False] * 7 + [True])

    def test_legacy_call_form(self) -> None:
        cache = NonceCache(ttl=0)
        self.assertFalse(cache("a"))
        self.assertFalse(cache("a"))  # ttl 0: nothing is kept
        cache = NonceCache()
        self.assertFalse(cache("b"))
        self.assertTrue(cache("b"))

    def test_the_default_store_is_shared(self) -> None:
        self.assertIs(default_nonce_store(), default_nonce_store())
        self.assertIsInstance(default_nonce_store(), NonceStore)


CURRENT = Key.hmac_sha256(bytes(range(32, 64)), "client-1")
NEXT = Key.hmac_sha256(bytes(range(64, 96)), "client-1-next")
ROTATION_KEYS = {"client-1": CURRENT, "client-1-next": NEXT}


def rotated(**overrides: Any) -> dict[str, Any]:
    """A POST signed with the current and the next key (sig1, sig2), one nonce for both."""
    signers = [
        dict(key=CURRENT, key_id="client-1", created=NOW, label="sig1"),
        dict(key=NEXT, key_id="client-1-next", created=NOW, label="sig2"),
    ]
    for signer, extra in zip(signers, overrides.pop("per_signature", [{}, {}])):
        signer.update(extra)
    headers = sign_many(
        "POST",
        URL,
        [("Host", "api.example.com"), ("Content-Type", "application/json")],
        BODY,
        signers,
        **overrides,
    )
    return {"method": "POST", "url": URL, "headers": headers, "body": BODY}


def presenting(req: dict[str, Any], *labels: str) -> dict[str, Any]:
    return {**req, "headers": only_labels(req["headers"], *labels)}


class MultiSignatureReplayTests(VerifyTestCase):
    """One signed request is accepted at most once, whichever subset of its signatures is shown."""

    def test_every_subset_is_refused_after_the_full_request(self) -> None:
        for subset in [("sig1", "sig2"), ("sig2",), ("sig1",), ("sig2", "sig1")]:
            with self.subTest(subset=subset):
                req = rotated()
                self.assertEqual(check(req, keys=ROTATION_KEYS).label, "sig1")
                self.assertCode("replayed", presenting(req, *subset), keys=ROTATION_KEYS)

    def test_the_full_request_is_refused_after_one_subset(self) -> None:
        for first, later in [("sig2", "sig1"), ("sig1", "sig2")]:
            with self.subTest(first=first):
                req = rotated()
                self.assertEqual(check(presenting(req, first), keys=ROTATION_KEYS).label, first)
                self.assertCode("replayed", req, keys=ROTATION_KEYS)
                self.assertCode("replayed", presenting(req, later), keys=ROTATION_KEYS)

    def test_with_an_explicit_store_and_a_label(self) -> None:
        store = NonceCache()
        req = rotated()
        check(req, keys=ROTATION_KEYS, nonce_store=store)
        self.assertCode("replayed", req, keys=ROTATION_KEYS, nonce_store=store, label="sig2")

    def test_signatures_with_different_nonces_consume_all(self) -> None:
        store = RecordingStore()
        req = rotated(per_signature=[{"nonce": "n-a"}, {"nonce": "n-b"}])
        check(req, keys=ROTATION_KEYS, nonce_store=store)
        self.assertEqual(
            sorted(key for key, _ in store.calls), ["sig-nonce:n-a", "sig-nonce:n-b"]
        )
        for label in ("sig1", "sig2"):
            replay = presenting(req, label)
            self.assertCode("replayed", replay, keys=ROTATION_KEYS, nonce_store=store)

    def test_a_replayed_nonce_still_records_the_others(self) -> None:
        store = NonceCache()
        store.consume_once("sig-nonce:n-a", 60)
        req = rotated(per_signature=[{"nonce": "n-a"}, {"nonce": "n-b"}])
        self.assertCode("replayed", req, keys=ROTATION_KEYS, nonce_store=store)
        self.assertCode("replayed", presenting(req, "sig2"), keys=ROTATION_KEYS, nonce_store=store)

    def test_only_verified_signatures_spend_a_nonce(self) -> None:
        store = RecordingStore()
        stranger = Key.hmac_sha256(b"z" * 32, "client-1-next")  # not the trusted next key
        req = rotated(per_signature=[{"nonce": "n-a"}, {"nonce": "n-b", "key": stranger}])
        check(req, keys=ROTATION_KEYS, nonce_store=store)
        self.assertEqual(store.calls, [("sig-nonce:n-a", 301.0)])
        unknown = rotated(per_signature=[{"nonce": "n-c"}, {"nonce": "n-d", "key_id": "nobody"}])
        check(unknown, keys=ROTATION_KEYS, nonce_store=store)
        self.assertNotIn("sig-nonce:n-d", store.seen)

    def test_the_same_nonce_under_another_keyid_is_a_replay(self) -> None:
        store = NonceCache()
        check(request(nonce="shared"), nonce_store=store)
        other = request(nonce="shared", key=NEXT, key_id="client-1-next")
        self.assertCode("replayed", other, keys=ROTATION_KEYS, nonce_store=store)


class DuplicateHeaderTests(VerifyTestCase):
    def test_single_fields_appear_once(self) -> None:
        req = request()
        for name, value in [
            ("Host", "evil.example"),
            ("content-type", "text/plain"),
            ("Content-Digest", "sha-256=:AAAA:"),
            ("Signature", "sig2=:AAAA:"),
            ("SIGNATURE-INPUT", 'sig2=();created=1;keyid="x"'),
            ("Authorization", "Bearer x"),
        ]:
            headers = req["headers"] + [(name, value)]
            if name == "Authorization":
                headers.append(("authorization", "Bearer y"))
            with self.subTest(name=name):
                self.assertCode("duplicate_header", {**req, "headers": headers})

    def test_other_fields_may_repeat(self) -> None:
        req = request()
        self.assertEqual(
            check({**req, "headers": req["headers"] + [("Accept", "a"), ("Accept", "b")]}).label,
            "sig1",
        )

    def test_repeated_label_or_digest_algorithm(self) -> None:
        req = request()
        headers = [
            (n, v + ", " + v) if n in ("Signature-Input", "Signature") else (n, v)
            for n, v in req["headers"]
        ]
        self.assertCode("duplicate_header", {**req, "headers": headers})
        headers = [
            (n, v + ", " + v) if n == "Content-Digest" else (n, v) for n, v in req["headers"]
        ]
        self.assertCode("duplicate_header", {**req, "headers": headers})


class AlgorithmConfusionTests(VerifyTestCase):
    def test_alg_parameter_must_match_the_key(self) -> None:
        self.assertCode("algorithm_mismatch", request(extra_params=';alg="ed25519"'))
        self.assertEqual(check(request(extra_params=';alg="hmac-sha256"')).algorithm, "hmac-sha256")

    def test_public_key_used_as_hmac_secret(self) -> None:
        require_cryptography(self)
        entry = rfc_key_entries()["test-key-ed25519"]
        public = Key.from_pem(entry["publicKeyPem"], "ed25519")
        raw = base64.urlsafe_b64decode(entry["jwk"]["x"] + "=")
        forged_key = Key.hmac_sha256(raw, "test-key-ed25519")
        keys = {"test-key-ed25519": public}
        forged = request(
            key=forged_key, key_id="test-key-ed25519", extra_params=';alg="hmac-sha256"'
        )
        self.assertCode("algorithm_mismatch", forged, keys=keys)
        forged = request(key=forged_key, key_id="test-key-ed25519")
        self.assertCode("signature_invalid", forged, keys=keys)


class TamperingTests(VerifyTestCase):
    def test_body_method_path_query_host(self) -> None:
        req = request()
        self.assertCode("digest_mismatch", {**req, "body": BODY.replace(b"1", b"9")})
        self.assertCode("digest_mismatch", {**req, "body": BODY + b" "})
        self.assertCode("signature_invalid", {**req, "method": "PUT"})
        self.assertCode("signature_invalid", {**req, "method": "post"})
        for url in [
            "https://api.example.com/v1/orders/1?page=2",
            "https://api.example.com/V1/orders?page=2",
            "https://api.example.com/v1/orders?page=3",
            "https://api.example.com/v1/orders",
            "http://api.example.com/v1/orders?page=2",
            "https://evil.example.com/v1/orders?page=2",
            "https://api.example.com:8443/v1/orders?page=2",
        ]:
            with self.subTest(url=url):
                self.assertCode("signature_invalid", {**req, "url": url})

    def test_covered_fields(self) -> None:
        req = request()
        headers = [(n, "text/plain" if n == "Content-Type" else v) for n, v in req["headers"]]
        self.assertCode("signature_invalid", {**req, "headers": headers})
        digest = "sha-256=:" + base64.b64encode(b"\0" * 32).decode() + ":"
        headers = [(n, digest if n == "Content-Digest" else v) for n, v in req["headers"]]
        self.assertCode("signature_invalid", {**req, "headers": headers})

    def test_signature_bytes(self) -> None:
        req = request()
        headers = [
            (n, v[:10] + ("A" if v[10] != "A" else "B") + v[11:]) if n == "Signature" else (n, v)
            for n, v in req["headers"]
        ]
        self.assertCode("signature_invalid", {**req, "headers": headers})

    def test_base_injection_in_a_covered_field(self) -> None:
        req = request()
        headers = [
            (n, v + '\n"@method": GET') if n == "Content-Type" else (n, v)
            for n, v in req["headers"]
        ]
        self.assertCode("malformed", {**req, "headers": headers})


class CoverageTests(VerifyTestCase):
    def test_digest_must_be_present_and_covered_with_a_body(self) -> None:
        self.assertCode(
            "digest_missing",
            request(digest=False, components=["@method", "@target-uri", "content-type"]),
        )
        self.assertCode(
            "component_missing", request(components=["@method", "@target-uri", "content-type"])
        )
        self.assertCode(
            "component_missing", request(components=["@method", "@target-uri", "content-digest"])
        )
        self.assertCode(
            "component_missing",
            request(components=["@target-uri", "content-digest", "content-type"]),
        )

    def test_required_components_option(self) -> None:
        req = request(components=["@method", "@path", "content-digest", "content-type"])
        self.assertCode("component_missing", req)
        self.assertEqual(check(req, required_components=["@method", "@path"]).label, "sig1")
        self.assertCode(
            "component_missing", request(), required_components=['"@query-param";name="page"']
        )
        with self.assertRaises(ValueError):
            check(request(), required_components=["@nope"])
        with self.assertRaises(TypeError):
            check(request(), required_components="@method")

    def test_unsupported_components(self) -> None:
        base = ["@method", "@target-uri", "content-digest", "content-type"]
        # the signer cannot build these bases, so sign a base that leaves them out and add them
        for extra, code in [
            ('"content-type";tr', "component_unsupported"),
            ('"@foo"', "component_unsupported"),
            ('"content-type";xx', "component_unsupported"),
            ('"content-type";bs;sf', "component_unsupported"),
            ('"Content-Type"', "malformed"),
            ('"@method"', "malformed"),  # listed twice
            ("content-type", "malformed"),  # a token, not a string
        ]:
            req = request(components=base)
            headers = [
                (n, v.replace('"content-type")', f'"content-type" {extra})'))
                if n == "Signature-Input"
                else (n, v)
                for n, v in req["headers"]
            ]
            with self.subTest(extra=extra):
                self.assertCode(code, {**req, "headers": headers})

    def test_missing_covered_field(self) -> None:
        components = ["@method", "@target-uri", "content-digest", "content-type", "x-extra"]
        fields = [("Content-Type", "application/json"), ("X-Extra", "1")]
        headers = sign("POST", URL, fields, BODY, HMAC, created=NOW, components=components)
        req = {
            "method": "POST",
            "url": URL,
            "headers": [h for h in headers if h[0] != "X-Extra"],
            "body": BODY,
        }
        self.assertCode("component_missing", req)


class SelectionTests(VerifyTestCase):
    def test_missing_and_unknown(self) -> None:
        req = request()
        bare = [(n, v) for n, v in req["headers"] if n not in ("Signature", "Signature-Input")]
        self.assertCode("signature_missing", {**req, "headers": bare})
        self.assertCode("signature_missing", req, label="other")
        self.assertCode("key_unknown", req, keys={})
        self.assertCode("key_unknown", request(key_id="nobody"))
        headers = [
            (n, v.replace(';keyid="client-1"', "")) if n == "Signature-Input" else (n, v)
            for n, v in req["headers"]
        ]
        self.assertCode("key_unknown", {**req, "headers": headers})

    def test_tag(self) -> None:
        self.assertEqual(check(request(tag="app-1"), tag="app-1").label, "sig1")
        self.assertCode("signature_missing", request(tag="app-2"), tag="app-1")
        self.assertCode("signature_missing", request(), tag="app-1")

    def test_first_good_signature_wins_and_label_selects(self) -> None:
        good = request(label="good")
        bad = request(label="bad", key=Key.hmac_sha256(b"wrong", "client-1"))
        field = lambda r, name: next(v for n, v in r["headers"] if n == name)  # noqa: E731
        headers = [h for h in good["headers"] if h[0] not in ("Signature", "Signature-Input")]
        headers += [
            (
                "Signature-Input",
                field(bad, "Signature-Input") + ", " + field(good, "Signature-Input"),
            ),
            ("Signature", field(bad, "Signature") + ", " + field(good, "Signature")),
        ]
        req = {**good, "headers": headers}
        self.assertEqual(check(req).label, "good")
        self.assertCode("signature_invalid", req, label="bad")
        with self.assertRaises(ValueError):
            check(req, label="Bad")

    def test_at_most_four_signatures_are_checked_cryptographically(self) -> None:
        def combined(requests: list[dict[str, Any]]) -> dict[str, Any]:
            field = lambda r, name: next(v for n, v in r["headers"] if n == name)  # noqa: E731
            headers = [h for h in requests[-1]["headers"] if not h[0].startswith("Signature")]
            for name in ("Signature-Input", "Signature"):
                headers.append((name, ", ".join(field(r, name) for r in requests)))
            return {**requests[-1], "headers": headers}

        wrong = Key.hmac_sha256(b"wrong", "client-1")
        good = request(label="good")
        bad = [request(label=f"bad{i}", key=wrong) for i in range(4)]
        self.assertCode("signature_invalid", combined(bad + [good]))
        self.assertEqual(check(combined(bad[:3] + [good])).label, "good")
        other_tag = [request(label=f"other{i}", tag="other") for i in range(6)]
        mine = request(label="mine", tag="mine")
        self.assertEqual(check(combined(other_tag + [mine]), tag="mine").label, "mine")

    def test_input_without_signature(self) -> None:
        req = request()
        headers = [
            (n, v.replace("sig1=", "sig2=")) if n == "Signature" else (n, v)
            for n, v in req["headers"]
        ]
        self.assertCode("signature_missing", {**req, "headers": headers})

    def test_shape_errors(self) -> None:
        req = request()
        for name, value in [
            ("Signature-Input", "sig1=1"),
            ("Signature-Input", 'sig1=(a);created=1;keyid="client-1"'),
            ("Signature", 'sig1="abc"'),
            ("Signature", "sig1=:AAAA"),
            ("Signature-Input", "x" * 9000),
            ("Content-Digest", "sha-256=1"),
        ]:
            headers = [(n, value if n == name else v) for n, v in req["headers"]]
            with self.subTest(name=name, value=value[:20]):
                self.assertCode("malformed", {**req, "headers": headers})
        for url in [
            "/v1/orders",
            "api.example.com/v1",
            "https:///x",
            "https://a b/",
            "https://h:x/",
            "https://h:65536/",
        ]:
            with self.subTest(url=url):
                self.assertCode("malformed", {**req, "url": url})
        with self.assertRaises(TypeError):
            check({**req, "headers": [("a", 1)]})
        with self.assertRaises(TypeError):
            check({**req, "body": "text"})


class ErrorTests(unittest.TestCase):
    def test_problem_details(self) -> None:
        error = VerificationError("replayed", "signature sig1 was already used")
        self.assertEqual(
            error.to_problem(),
            {
                "type": "https://countersign.dev/errors#replayed",
                "title": "replayed",
                "status": 401,
                "code": "replayed",
                "detail": "signature sig1 was already used",
            },
        )
        self.assertEqual(str(VerificationError("malformed")), "malformed")
        with self.assertRaises(TypeError):
            VerificationError("nope")


if __name__ == "__main__":
    unittest.main()
