"""Keys: Wycheproof vectors, JWK and PEM import rules, and the missing-`cryptography` message."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import unittest

from countersign_verify import Key, keys_from_jwks
from tests._support import (
    CRYPTOGRAPHY_MISSING,
    PYTHON_DIR,
    WYCHEPROOF,
    load,
    require_cryptography,
    rfc_key_entries,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class CryptographyPresenceTests(unittest.TestCase):
    def test_cryptography_is_installed(self) -> None:
        """Fails (never skips) so that a CI without `cryptography` is noticed."""
        try:
            import cryptography  # noqa: F401
        except ImportError:
            self.fail(CRYPTOGRAPHY_MISSING)

    def test_clear_error_without_cryptography(self) -> None:
        jwk = rfc_key_entries()["test-key-ed25519"]["jwk"]
        script = (
            "import sys\n"
            "sys.modules['cryptography'] = None\n"
            "from countersign_verify import Key, CryptographyMissingError\n"
            "k = Key.hmac_sha256(b'k' * 32, 'h')\n"
            "assert k.verify(b'x', k.sign(b'x'))\n"
            "try:\n"
            f"    Key.from_jwk({json.dumps(jwk)})\n"
            "except CryptographyMissingError as e:\n"
            "    assert isinstance(e, ImportError)\n"
            "    print(e)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", script],
            cwd=PYTHON_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        self.assertEqual(
            out.stdout.strip(),
            "ed25519 needs the 'cryptography' package (Debian: python3-cryptography)",
        )


class WycheproofTests(unittest.TestCase):
    def test_hmac_sha256(self) -> None:
        data = load(WYCHEPROOF / "hmac_sha256_test.json")
        checked = 0
        for group in data["testGroups"]:
            if group["tagSize"] != 256 or group["keySize"] == 0:
                continue  # Countersign never truncates tags and refuses empty secrets
            for test in group["tests"]:
                with self.subTest(tcId=test["tcId"]):
                    key = Key.hmac_sha256(bytes.fromhex(test["key"]), "w")
                    valid = key.verify(bytes.fromhex(test["msg"]), bytes.fromhex(test["tag"]))
                    self.assertEqual(valid, test["result"] == "valid")
                    checked += 1
        self.assertGreater(checked, 50)

    def test_ed25519_and_ecdsa_p256_p1363(self) -> None:
        require_cryptography(self)
        files = {
            "ed25519": "ed25519_test.json",
            "ecdsa-p256-sha256": "ecdsa_secp256r1_sha256_p1363_test.json",
        }
        for algorithm, name in files.items():
            checked = 0
            for group in load(WYCHEPROOF / name)["testGroups"]:
                keys = [Key.from_pem(group["publicKeyPem"], algorithm)]
                if "publicKeyJwk" in group:
                    keys.append(Key.from_jwk(group["publicKeyJwk"], algorithm=algorithm))
                for test in group["tests"]:
                    for key in keys:
                        with self.subTest(algorithm=algorithm, tcId=test["tcId"]):
                            msg, sig = bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
                            # "acceptable" cases (none here for these files) would be either way
                            if test["result"] != "acceptable":
                                self.assertEqual(key.verify(msg, sig), test["result"] == "valid")
                                checked += 1
            self.assertGreater(checked, 250, algorithm)


class HmacKeyTests(unittest.TestCase):
    def test_hmac_constructor(self) -> None:
        with self.assertRaises(ValueError):
            Key.hmac_sha256(b"", "k")
        with self.assertRaises(ValueError):
            Key.hmac_sha256(b"secret", "")
        self.assertNotIn("hunter2", repr(Key.hmac_sha256(b"hunter2", "k")))


class KeyImportTests(unittest.TestCase):
    def setUp(self) -> None:
        require_cryptography(self)
        self.entries = rfc_key_entries()

    def test_algorithm_comes_from_the_key(self) -> None:
        ed = self.entries["test-key-ed25519"]["jwk"]
        self.assertEqual(Key.from_jwk(ed).algorithm, "ed25519")
        self.assertEqual(Key.from_jwk({**ed, "alg": "EdDSA"}).algorithm, "ed25519")
        self.assertEqual(Key.from_jwk({**ed, "alg": "Ed25519"}).key_id, "test-key-ed25519")
        ec = self.entries["test-key-ecc-p256"]["jwk"]
        self.assertEqual(Key.from_jwk(ec).algorithm, "ecdsa-p256-sha256")
        rsa = self.entries["test-key-rsa-pss"]["jwk"]
        self.assertEqual(Key.from_jwk({**rsa, "alg": "PS512"}).algorithm, "rsa-pss-sha512")
        self.assertEqual(Key.from_jwk({**rsa, "alg": "RS256"}).algorithm, "rsa-v1_5-sha256")
        secret = {"kty": "oct", "k": b64url(b"s" * 32), "kid": "h1", "alg": "HS256"}
        self.assertEqual(Key.from_jwk(secret).algorithm, "hmac-sha256")

    def test_conflicts_and_bad_jwks_are_refused(self) -> None:
        ed = self.entries["test-key-ed25519"]["jwk"]
        ec = self.entries["test-key-ecc-p256"]["jwk"]
        rsa = self.entries["test-key-rsa"]["jwk"]
        bad = [
            ({**ed, "alg": "ES256"}, {}),
            (ed, {"algorithm": "hmac-sha256"}),
            (rsa, {}),  # an RSA JWK must say PS512 or RS256
            ({**rsa, "alg": "PS512"}, {"algorithm": "rsa-v1_5-sha256"}),
            ({**ec, "crv": "P-384"}, {}),
            ({**ec, "x": ec["x"] + "="}, {}),
            ({**ec, "d": ed["d"]}, {}),  # private part of another key
            ({**ed, "x": "AAAA"}, {}),
            ({"kty": "oct", "k": ""}, {}),
            ({"kty": "oct", "k": "YQ", "alg": "HS512"}, {}),
            ({"kty": "RSA", "alg": "RS256", "n": b64url(b"\xc1" * 128), "e": "AQAB"}, {}),
        ]
        for jwk, options in bad:
            with self.subTest(jwk=jwk, options=options), self.assertRaises(ValueError):
                Key.from_jwk(jwk, **options)
        with self.assertRaises(TypeError):
            Key.from_jwk("not a mapping")  # type: ignore[arg-type]

    def test_pem_key_types_must_fit_the_algorithm(self) -> None:
        ed_pem = self.entries["test-key-ed25519"]["publicKeyPem"]
        rsa_pem = self.entries["test-key-rsa"]["publicKeyPem"]
        for pem, algorithm in [
            (ed_pem, "ecdsa-p256-sha256"),
            (rsa_pem, "ed25519"),
            (ed_pem, "hmac-sha256"),
        ]:
            with self.subTest(algorithm=algorithm), self.assertRaises(ValueError):
                Key.from_pem(pem, algorithm)
        for kid in ("test-key-rsa", "test-key-ecc-p256", "test-key-ed25519"):
            entry = self.entries[kid]
            key = Key.from_pem(entry["privateKeyPem"], entry["algorithms"][0], key_id=kid)
            self.assertTrue(key.can_sign)
            self.assertTrue(key.verify(b"m", key.sign(b"m")))
            self.assertNotIn("BEGIN", repr(key))
        public = Key.from_pem(ed_pem, "ed25519")
        self.assertFalse(public.can_sign)
        with self.assertRaises(ValueError):
            public.sign(b"m")

    def test_verify_never_raises_for_bad_signatures(self) -> None:
        keys = [
            Key.from_jwk(self.entries["test-key-ed25519"]["jwk"]),
            Key.from_jwk(self.entries["test-key-ecc-p256"]["jwk"]),
            Key.from_jwk({**self.entries["test-key-rsa-pss"]["jwk"], "alg": "PS512"}),
            Key.from_jwk({**self.entries["test-key-rsa"]["jwk"], "alg": "RS256"}),
            Key.hmac_sha256(b"k", "h"),
        ]
        for key in keys:
            for signature in [
                b"",
                b"\x00" * 64,
                b"\xff" * 64,
                b"\x00" * 256,
                b"\xff" * 256,
                b"\x01" * 1000,
            ]:
                with self.subTest(key=key.algorithm, length=len(signature)):
                    self.assertFalse(key.verify(b"data", signature))

    def test_jwks(self) -> None:
        jwks = {
            "keys": [
                {k: v for k, v in self.entries["test-key-ed25519"]["jwk"].items() if k != "d"},
                self.entries["test-key-ecc-p256"]["jwk"],
                {"kty": "oct", "k": b64url(b"x" * 32)},  # no kid: skipped
            ]
        }
        keys = keys_from_jwks(jwks)
        self.assertEqual(sorted(keys), ["test-key-ecc-p256", "test-key-ed25519"])
        self.assertFalse(keys["test-key-ed25519"].can_sign)
        with self.assertRaises(ValueError):
            keys_from_jwks({"keys": [jwks["keys"][0], jwks["keys"][0]]})
        with self.assertRaises(ValueError):
            keys_from_jwks({"nope": []})


if __name__ == "__main__":
    unittest.main()
