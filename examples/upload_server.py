#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A minimal HTTP upload server for Tern's XEP-0363 slots (docs/http-upload.md): a PUT whose v2
token proves the server granted that path, size and content type stores the file once; a GET
serves it. Python's standard library only. For trying uploads out and for the tests: in
production put a real HTTP server (TLS, limits, expiry) in front of storage.

usage: upload_server.py --secret SECRET --dir DIR [--host 127.0.0.1] [--port 0]
Prints "upload_server: listening PORT" once ready.
"""
import argparse
import hashlib
import hmac
import http.server
import os
import sys
import urllib.parse


def expected_token(secret, path, size, content_type):
    message = path.encode() + b"\0" + str(size).encode() + b"\0" + content_type.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def make_handler(secret, root):
    class Handler(http.server.BaseHTTPRequestHandler):
        def _target(self):
            url = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(url.path.lstrip("/"))
            parts = path.split("/")
            if len(parts) != 2 or not all(parts) or ".." in parts:
                return None, None, url
            return path, os.path.join(root, *parts), url

        def do_PUT(self):
            path, target, url = self._target()
            size = int(self.headers.get("Content-Length", "-1"))
            content_type = self.headers.get("Content-Type", "")
            token = urllib.parse.parse_qs(url.query).get("v2", [""])[0]
            if path is None or size < 0:
                return self._answer(400)
            if not hmac.compare_digest(token, expected_token(secret, path, size, content_type)):
                return self._answer(403)
            if os.path.exists(target):
                return self._answer(409)
            body = self.rfile.read(size)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(body)
            self._answer(201)

        def do_GET(self):
            _, target, _ = self._target()
            if target is None or not os.path.isfile(target):
                return self._answer(404)
            with open(target, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer((args.host, args.port),
                                             make_handler(args.secret, args.dir))
    print(f"upload_server: listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
