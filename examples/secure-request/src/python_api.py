"""The skapi Python handler, verifying the Countersign relay's signature instead of api_key.

Run by main.ts as a child process: binds 127.0.0.1 on a free port and prints "PORT <n>" (so the
relay can register it as a target), reads the relay's JWKS as one JSON line on stdin, then
serves until stdin closes.
"""

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from countersign_verify import NonceCache, VerificationError, keys_from_jwks, verify_relay_request

KEYS = {}  # the relay's public keys, by keyid (from its /.well-known/jwks.json)
SEEN = NonceCache()  # one process; behind a load balancer use a shared store
ORIGIN = ""  # set once the port is known: the origin registered with the relay


class MyServer(BaseHTTPRequestHandler):
    def do_POST(self):
        length = self.headers.get("Content-Length", "0")
        if not re.fullmatch(r"[0-9]{1,7}", length):
            return self.reply(413, {"error": "body too large"})
        body = self.rfile.read(int(length))
        try:
            req = verify_relay_request(
                self.command, ORIGIN + self.path, self.headers.items(), body, keys=KEYS, nonce_store=SEEN
            )
        except VerificationError as error:
            return self.reply(error.status, error.to_problem())
        if self.path == "/myapi":
            return self.reply(200, {"hello": req.user["user_id"], "got": req.data, "lang": "python"})
        self.reply(404, {"error": "not found"})

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", 0), MyServer)
    ORIGIN = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"PORT {server.server_address[1]}", flush=True)
    KEYS.update(keys_from_jwks(json.loads(sys.stdin.readline())))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()  # the parent closes stdin (or exits) to stop us
    server.shutdown()
