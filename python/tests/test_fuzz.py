"""Garbage in, VerificationError out: never any other exception, for a fixed-seed random corpus."""

from __future__ import annotations

import random
import string
import unittest
from typing import Any, Callable

from countersign_verify import Key, VerificationError, parse_relay_envelope, sf, verify_request
from tests._support import sign

NOW = 1_700_000_000
URL = "https://api.example.com/v1/orders?page=2"
BODY = b'{"user": {"user_id": "u1"}, "data": {"a": 1}, "request": {"id": "r1", "time": 1}}'
HMAC = Key.hmac_sha256(b"k" * 32, "client-1")
ITERATIONS = 400

# Pieces that make the parser go deep rather than fail at the first character.
VOCABULARY = [
    "sig1=",
    "sig2=",
    "(",
    ")",
    '"@method"',
    '"@target-uri"',
    '"@query-param"',
    ";name=",
    '"content-digest"',
    ";req",
    ";sf",
    ";key=",
    ";bs",
    ";tr",
    ";created=",
    ";expires=",
    ";keyid=",
    ";nonce=",
    ";alg=",
    ";tag=",
    '"client-1"',
    '"ed25519"',
    "1700000000",
    "-1",
    "1.5",
    "0.0001",
    "999999999999999",
    "9999999999999999",
    ":",
    "AAAA",
    "=",
    "==",
    "?1",
    "?0",
    "?",
    ",",
    ", ",
    " ",
    "\t",
    ";",
    '"',
    "\\",
    "*",
    "@",
    "@1",
    '%"',
    "%c3%bc",
    "%",
    "sha-256=",
    "sha-512=",
    ":X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
    "a",
    "A",
    "\u00e9",
    "\u2028",
    "\x00",
    "\r\n",
    "\n ",
    "\x7f",
    "\U0001f600",
    "\udc80",
]
CHARS = string.printable + "\u00e9\u00ff\u0100\u2028\x00\x7f"


def garbage(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return "".join(rng.choice(CHARS) for _ in range(rng.randrange(0, 60)))
    if kind == 1:
        return "".join(rng.choice(VOCABULARY) for _ in range(rng.randrange(0, 25)))
    return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60))).decode("latin-1")


def mutate(rng: random.Random, text: str) -> str:
    if text == "":
        return rng.choice(VOCABULARY)
    i = rng.randrange(len(text))
    op = rng.randrange(4)
    if op == 0:
        return text[:i] + text[i + 1 :]
    if op == 1:
        return text[:i] + rng.choice(VOCABULARY) + text[i:]
    if op == 2:
        return text[:i] + rng.choice(CHARS) + text[i + 1 :]
    return text[:i] + text[i:][::-1]


class FuzzTests(unittest.TestCase):
    def setUp(self) -> None:
        self.rng = random.Random(9421)
        self.headers = sign(
            "POST",
            URL,
            [("Host", "api.example.com"), ("Content-Type", "application/json")],
            BODY,
            HMAC,
            created=NOW,
        )

    def run_verify(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        try:
            verify_request(method, url, headers, body, keys={"client-1": HMAC}, now=NOW)
        except VerificationError:
            pass
        except Exception as error:  # pragma: no cover - this is the failure being looked for
            self.fail(
                f"{type(error).__name__}: {error} for {method!r} {url!r} {headers!r} {body!r}"
            )

    def replace(self, name: str, value: str) -> list[tuple[str, str]]:
        return [(n, value if n == name else v) for n, v in self.headers]

    def test_garbage_signature_fields(self) -> None:
        for field in ("Signature-Input", "Signature", "Content-Digest", "Content-Type"):
            for _ in range(ITERATIONS):
                self.run_verify("POST", URL, self.replace(field, garbage(self.rng)), BODY)

    def test_mutated_signed_requests(self) -> None:
        for _ in range(ITERATIONS * 2):
            headers = list(self.headers)
            method, url, body = "POST", URL, BODY
            for _ in range(self.rng.randrange(1, 4)):
                target = self.rng.randrange(len(headers) + 3)
                if target < len(headers):
                    name, value = headers[target]
                    headers[target] = (name, mutate(self.rng, value))
                elif target == len(headers):
                    url = mutate(self.rng, url)
                elif target == len(headers) + 1:
                    method = mutate(self.rng, method)
                else:
                    body = mutate(self.rng, body.decode("latin-1")).encode("latin-1", "replace")
            self.run_verify(method, url, headers, body)

    def test_random_header_lines(self) -> None:
        names = [
            "Host",
            "Content-Type",
            "Signature",
            "Signature-Input",
            "Content-Digest",
            "X-A",
            "\u00e9",
            "",
        ]
        for _ in range(ITERATIONS):
            extra = [
                (self.rng.choice(names), garbage(self.rng)) for _ in range(self.rng.randrange(1, 4))
            ]
            self.run_verify("POST", URL, self.headers + extra, BODY)
            self.run_verify(
                garbage(self.rng),
                garbage(self.rng),
                extra,
                garbage(self.rng).encode("utf-8", "replace"),
            )

    def test_structured_field_parsers(self) -> None:
        parsers: list[Callable[[str], Any]] = [sf.parse_item, sf.parse_list, sf.parse_dictionary]
        for _ in range(ITERATIONS * 3):
            text = garbage(self.rng)
            for parse in parsers:
                try:
                    parsed = parse(text)
                except VerificationError:
                    continue
                # whatever parses, serialises, and re-parses to the same thing
                serialize = {
                    sf.parse_item: sf.serialize_item,
                    sf.parse_list: sf.serialize_list,
                    sf.parse_dictionary: sf.serialize_dictionary,
                }[parse]
                self.assertEqual(parse(serialize(parsed)), parsed, text)

    def test_relay_envelopes(self) -> None:
        for _ in range(ITERATIONS):
            text = mutate(self.rng, BODY.decode()) if self.rng.random() < 0.7 else garbage(self.rng)
            try:
                parse_relay_envelope(text.encode("utf-8", "surrogatepass"))
            except VerificationError:
                pass
        for deep in ("[" * 100_000, '{"a":' * 100_000):
            with self.assertRaises(VerificationError):
                parse_relay_envelope(deep.encode())


if __name__ == "__main__":
    unittest.main()
