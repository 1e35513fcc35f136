"""The README's SQLite nonce store, shared by real processes: a replay sent to another
process of the same API is refused there too (the in-memory default cannot do that)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any

from countersign_verify import Key
from tests._support import PYTHON_DIR, sign

NOW = 1_700_000_000
URL = "https://api.example.com/v1/orders"
SECRET = bytes(range(32))

# One API process: reads a request as JSON on stdin, verifies it, prints the outcome.
WORKER = """
import json, sys
from countersign_verify import Key, NonceCache, VerificationError, verify_request
namespace = {"__name__": "readme_store"}
exec(compile(sys.argv[1], "README.md", "exec"), namespace)
store = namespace["SqliteNonceStore"](sys.argv[2]) if sys.argv[2] else NonceCache()
req = json.loads(sys.stdin.read())
try:
    verify_request("POST", req["url"], req["headers"], req["body"].encode(), now=req["now"],
                   keys={"client-1": Key.hmac_sha256(bytes(range(32)), "client-1")},
                   nonce_store=store)
    print("accepted")
except VerificationError as error:
    print(error.code)
"""


def readme_store() -> str:
    text = (PYTHON_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- example:sqlite-store -->\n```python\n(.*?)```", text, re.S)
    assert match, "README SQLite store block not found"
    return match.group(1)


def store_class() -> Any:
    namespace: dict[str, Any] = {"__name__": "readme_store"}
    exec(compile(readme_store(), "README.md", "exec"), namespace)
    return namespace["SqliteNonceStore"]


def in_process(request: dict[str, Any], db: str) -> str:
    """Verifies `request` in a new Python process using the store at `db` ('' = in-memory)."""
    result = subprocess.run(
        [sys.executable, "-c", WORKER, readme_store(), db],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PYTHON_DIR,
        check=True,
    )
    return result.stdout.strip()


class SharedStoreTests(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.db = str(Path(self.dir.name) / "nonces.sqlite")
        body = '{"item": 1}'
        headers = sign(
            "POST",
            URL,
            [("Content-Type", "application/json")],
            body.encode(),
            Key.hmac_sha256(SECRET, "client-1"),
            created=NOW,
        )
        self.request = {"url": URL, "headers": headers, "body": body, "now": NOW}

    def tearDown(self) -> None:
        self.dir.cleanup()

    def test_a_replay_to_another_process_is_refused(self) -> None:
        self.assertEqual(in_process(self.request, self.db), "accepted")
        self.assertEqual(in_process(self.request, self.db), "replayed")

    def test_the_in_memory_default_is_per_process(self) -> None:
        # why a deployment with several processes needs a shared store
        self.assertEqual(in_process(self.request, ""), "accepted")
        self.assertEqual(in_process(self.request, ""), "accepted")

    def test_the_store_contract(self) -> None:
        store = store_class()(self.db)
        self.assertTrue(store.consume_once("sig-nonce:a", 60))
        self.assertFalse(store.consume_once("sig-nonce:a", 60))
        self.assertTrue(store.consume_once("sig-nonce:gone", -1))  # already expired
        self.assertTrue(store.consume_once("sig-nonce:gone", 60))
        self.assertTrue(store.consume_once("sig-nonce:kept", None))
        self.assertFalse(store.consume_once("sig-nonce:kept", None))
        other = store_class()(self.db)  # another connection to the same file
        self.assertFalse(other.consume_once("sig-nonce:a", 60))


if __name__ == "__main__":
    unittest.main()
