"""A reference external verifier: the in-worker face model served over HTTP, speaking ATTN's protocol.

    manage.py photo_verifier --port 8765

It takes the worker's signed POST (see attendance/photos/external.py), answers
202 at once, compares the photo with the reference in the background, and
posts the signed result to the request's callback URL.  It listens on
loopback unless told otherwise, and shares PHOTO_VERIFIER_SECRET with ATTN.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from attendance.photos import external, faces, verify

MAX_BODY = 20 * 1024 * 1024


def verdict_for(photo: bytes, reference: bytes) -> verify.Verdict:
    """The same judgement as the worker's, with the reference as a photo."""
    known = faces.encode(reference)
    if known.found != faces.ONE:
        return verify.Verdict(verify.NO_REFERENCE)
    return verify.judge(photo, known.encoding)


def call_back(request: dict, secret: str) -> int:
    verdict = verdict_for(base64.b64decode(request["photo"]), base64.b64decode(request["reference"]))
    body = json.dumps(
        {
            "id": request["id"],
            "session": request["session"],
            "student": request["student"],
            "result": verdict.result,
            "distance": verdict.distance,
        }
    ).encode()
    post = urllib.request.Request(
        request["callback"], data=body, headers=external.signed_headers(body, secret), method="POST"
    )
    with urllib.request.urlopen(post, timeout=10) as response:  # noqa: S310 — the worker's own callback URL
        return response.status


def make_server(host: str, port: int, secret: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                return self._answer(413 if length else 400, "bad length")
            body = self.rfile.read(length)
            status, refused = external.check_signature(
                body,
                self.headers.get(external.TIMESTAMP_HEADER, ""),
                self.headers.get(external.SIGNATURE_HEADER, ""),
                secret,
                external.wire_time(),
            )
            if status:
                return self._answer(status, refused)
            try:
                request = json.loads(body)
                request["photo"], request["reference"], request["callback"], request["id"]  # noqa: B018
            except (ValueError, KeyError, TypeError):
                return self._answer(400, "not a verification request")
            threading.Thread(target=call_back, args=(request, secret), daemon=True).start()
            return self._answer(202, "accepted")

        def _answer(self, status: int, text: str):
            data = json.dumps({"detail": text}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002 — http.server's signature
            pass

    return ThreadingHTTPServer((host, port), Handler)


class Command(BaseCommand):
    help = "Serve the in-worker face model as an external photo verifier (ATTN's signed protocol)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, host, port, **options):
        secret = settings.PHOTO_VERIFIER_SECRET
        if not secret:
            raise CommandError("Set PHOTO_VERIFIER_SECRET (the same as ATTN's) first.")
        server = make_server(host, port, secret)
        self.stdout.write(f"Photo verifier on http://{host}:{server.server_port}/ (Ctrl-C stops it)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
