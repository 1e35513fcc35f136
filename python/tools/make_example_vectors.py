"""Writes packages/testkit/vectors/countersign/example.json: two hmac-sha256 profile cases.

Computed with the standard library only (hmac, hashlib), independently of countersign_verify,
so the verifier is checked against bytes it did not produce. Run from python/:

    python3 tools/make_example_vectors.py
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

OUT = (
    Path(__file__).resolve().parents[2]
    / "packages"
    / "testkit"
    / "vectors"
    / "countersign"
    / "example.json"
)
SECRET = bytes(range(1, 33))  # 32 bytes: 0x01..0x20
KEY_ID = "example-client"
CREATED = 1_700_000_000
METHOD = "POST"
URL = "https://api.example.com/v1/orders?page=2"
BODY = '{"item":"book","qty":1}'


def main() -> None:
    digest = "sha-256=:" + base64.b64encode(hashlib.sha256(BODY.encode()).digest()).decode() + ":"
    params = (
        '("@method" "@target-uri" "content-digest" "content-type")'
        f';created={CREATED};keyid="{KEY_ID}";nonce="bm9uY2UtMDAwMQ"'
    )
    base = "\n".join(
        [
            f'"@method": {METHOD}',
            f'"@target-uri": {URL}',
            f'"content-digest": {digest}',
            '"content-type": application/json',
            f'"@signature-params": {params}',
        ]
    )
    signature = base64.b64encode(hmac.new(SECRET, base.encode(), hashlib.sha256).digest()).decode()
    headers = [
        ["Host", "api.example.com"],
        ["Content-Type", "application/json"],
        ["Content-Digest", digest],
        ["Signature-Input", f"sig1={params}"],
        ["Signature", f"sig1=:{signature}:"],
    ]
    key = {"secret": base64.urlsafe_b64encode(SECRET).rstrip(b"=").decode(), "keyId": KEY_ID}
    common = {"method": METHOD, "url": URL, "headers": headers, "key": key, "now": CREATED + 30}
    document = {
        "format": "countersign-profile-vectors/1",
        "description": "Hand-computed examples (python/tools/make_example_vectors.py, stdlib hmac).",
        "cases": [
            {
                "id": "example-hmac-valid",
                "description": "POST with a JSON body, the default covered components and a nonce.",
                **common,
                "body": BODY,
                "expected": {"valid": True, "keyId": KEY_ID},
            },
            {
                "id": "example-hmac-body-changed",
                "description": "The same signed headers with another body: Content-Digest no longer matches.",
                **common,
                "bodyBase64": base64.b64encode(BODY.replace("1", "2").encode()).decode(),
                "expected": {"valid": False, "code": "digest_mismatch"},
            },
        ],
    }
    OUT.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
