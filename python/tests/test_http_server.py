"""The README's http.server example, run as written on a loopback server with real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import threading
import unittest
from http.server import HTTPServer
from typing import Any
from unittest import mock

from countersign_verify import Key
from tests._support import PYTHON_DIR, only_labels, sign, sign_many

SECRET_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
ORIGIN = "http://your.custom.api.com:3000"


def readme_example() -> str:
    text = (PYTHON_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- example:http-server -->\n```python\n(.*?)```", text, re.S)
    assert match, "README example block not found"
    return match.group(1)


class ReadmeServerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        namespace: dict[str, Any] = {"__name__": "readme_example"}
        with mock.patch.dict(os.environ, {"RELAY_SECRET_HEX": SECRET_HEX}):
            exec(compile(readme_example(), "README.md", "exec"), namespace)
        cls.server = HTTPServer(("127.0.0.1", 0), namespace["MyServer"])
        cls.server.RequestHandlerClass.log_message = lambda *args: None  # type: ignore[method-assign]
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.port = cls.server.server_address[1]
        cls.key = Key.hmac_sha256(bytes.fromhex(SECRET_HEX), "relay-1")
        cls.next_key = Key.hmac_sha256(bytes.fromhex(SECRET_HEX)[::-1], "relay-2")
        namespace["KEYS"]["relay-2"] = cls.next_key  # rotation: the next relay key is trusted too

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.shutdown()
        cls.server.server_close()
        cls.thread.join(5)

    def relayed(
        self, path: str = "/myapi", nonce: str = "n1", user_id: str = "u-1"
    ) -> tuple[bytes, list]:
        import time

        body = json.dumps(
            {
                "user": {"user_id": user_id, "group": 1},
                "data": {"some_data": "Hello"},
                "request": {"id": "r-1", "time": int(time.time())},
            }
        ).encode()
        headers = sign(
            "POST",
            ORIGIN + path,
            [("Content-Type", "application/json")],
            body,
            self.key,
            key_id="relay-1",
            created=int(time.time()),
            nonce=nonce,
            tag="countersign-relay",
        )
        return body, headers

    def post(self, path: str, headers: list, body: bytes) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest("POST", path)
            for name, value in headers:
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def test_verified_request_then_replay(self) -> None:
        body, headers = self.relayed(nonce="once")
        status, payload = self.post("/myapi", headers, body)
        self.assertEqual((status, payload), (200, {"user": "u-1", "data": {"some_data": "Hello"}}))
        status, payload = self.post("/myapi", headers, body)
        self.assertEqual((status, payload["code"]), (401, "replayed"))
        self.assertEqual(payload["type"], "https://countersign.dev/errors#replayed")

    def test_a_rotated_request_is_accepted_once_whatever_signatures_remain(self) -> None:
        import time

        body = json.dumps(
            {"user": {"user_id": "u-2"}, "data": 1, "request": {"id": "r-2", "time": 1}}
        ).encode()
        common = dict(created=int(time.time()), tag="countersign-relay")
        headers = sign_many(
            "POST",
            ORIGIN + "/myapi",
            [("Content-Type", "application/json")],
            body,
            [
                dict(key=self.key, key_id="relay-1", label="sig1", **common),
                dict(key=self.next_key, key_id="relay-2", label="sig2", **common),
            ],
        )
        self.assertEqual(self.post("/myapi", headers, body)[0], 200)
        for labels in [("sig2",), ("sig1",), ("sig1", "sig2")]:
            with self.subTest(labels=labels):
                status, payload = self.post("/myapi", only_labels(headers, *labels), body)
                self.assertEqual((status, payload["code"]), (401, "replayed"))

    def test_refusals(self) -> None:
        body, headers = self.relayed(nonce="n2")
        self.assertEqual(self.post("/other", headers, body)[1]["code"], "signature_invalid")
        forged = body.replace(b"u-1", b"u-0")
        self.assertEqual(self.post("/myapi", headers, forged)[1]["code"], "digest_mismatch")
        unsigned = [h for h in headers if not h[0].startswith("Signature")]
        self.assertEqual(self.post("/myapi", unsigned, body)[1]["code"], "signature_missing")
        body, headers = self.relayed(path="/elsewhere", nonce="n3")
        self.assertEqual(self.post("/elsewhere", headers, body)[0], 404)

    def test_duplicate_content_type_on_the_wire(self) -> None:
        body, headers = self.relayed(nonce="n4")
        lines = "".join(f"{n}: {v}\r\n" for n, v in headers)
        raw = (
            f"POST /myapi HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}Content-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1") + body
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(raw)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        self.assertIn(b" 400 ", data.split(b"\r\n", 1)[0])
        self.assertIn(b'"duplicate_header"', data)

    def test_oversized_length_is_refused_before_reading(self) -> None:
        status, payload = self.post_raw_length("99999999")
        self.assertEqual(status, 413)

    def post_raw_length(self, length: str) -> tuple[int, dict]:
        raw = f"POST /myapi HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(raw.encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), json.loads(body)


if __name__ == "__main__":
    unittest.main()
