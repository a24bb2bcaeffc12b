"""The optional external verifier (PHOTO_VERIFIER_URL), as the original ATTN had.

Both directions are signed with PHOTO_VERIFIER_SECRET: HMAC-SHA256 over
``<timestamp>.<body>``, sent as ``X-ATTN-Timestamp`` (Unix seconds) and
``X-ATTN-Signature: sha256=<hex>``.

1. The worker posts ``{"id", "session", "student", "photo", "reference",
   "callback"}`` (photos as base64 JPEG) to the verifier and notes the
   request id on the pending record.
2. The verifier posts ``{"id", "session", "student", "result", "distance"}``
   to ``/api/verification/``.  A bad signature, a timestamp more than
   PHOTO_VERIFIER_MAX_AGE seconds away, an id seen before (a replay) and a
   record that is not pending on that request are refused with a 4xx and
   change nothing.

Reference encodings stay the worker's business: references and a first
photo offered as one are read by the in-worker model in either mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import IntegrityError, transaction

from .. import live
from ..models import Status, VerificationCallback
from . import images, verify

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-ATTN-Timestamp"
SIGNATURE_HEADER = "X-ATTN-Signature"


def wire_time() -> float:
    """Return the system time, which both ends stamp and check signatures with.

    Not the app clock: the verifier is another process, often another program, on its own clock, so a
    test that freezes the app clock must not make the app's signatures look stale (or fresh) to it.
    """
    return time.time()  # noqa: TID251 — see the docstring


def sign(body: bytes, timestamp: int, secret: str | None = None) -> str:
    secret = settings.PHOTO_VERIFIER_SECRET if secret is None else secret
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signed_headers(body: bytes, secret: str | None = None, now: float | None = None) -> dict[str, str]:
    timestamp = int(wire_time() if now is None else now)
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(body, timestamp, secret),
    }


def check_signature(body: bytes, timestamp: str, signature: str, secret: str, now: float) -> tuple[int, str]:
    """Return the status and reason refusing a signed message ((0, "") when it is good)."""
    if not secret:
        return 403, "No verifier secret is configured."
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return 400, "Missing or malformed timestamp."
    # Bytes: compare_digest raises on non-ASCII text (a forged "sha256=é" was a 500).
    if not hmac.compare_digest(sign(body, sent, secret).encode(), (signature or "").encode()):
        return 403, "Bad signature."
    if abs(now - sent) > settings.PHOTO_VERIFIER_MAX_AGE:
        return 400, "Stale timestamp."
    return 0, ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def request_verification(sid: str, school_number: str, photo_name: str, photo: bytes, reference) -> str:
    """The worker's side in external mode: note a request id on the record, then post the photo."""
    request_id = uuid.uuid4().hex
    raw = live.get_record_raw(sid, school_number)
    record = live.LiveRecord.from_json(raw) if raw else None
    if record is None or record.status != Status.PENDING or record.photo != photo_name:
        return "stale: the record changed before the photo was sent"
    if live.replace_record(sid, school_number, raw, replace(record, photo_request=request_id)) != "ok":
        return "stale: the record changed before the photo was sent"
    body = json.dumps(
        {
            "id": request_id,
            "session": sid,
            "student": school_number,
            "photo": _b64(photo),
            "reference": _b64(images.read(reference.image)),
            "callback": settings.PHOTO_VERIFIER_CALLBACK_URL,
        }
    ).encode()
    post = urllib.request.Request(settings.PHOTO_VERIFIER_URL, data=body, headers=signed_headers(body), method="POST")
    try:
        with urllib.request.urlopen(post, timeout=10) as response:  # noqa: S310 — a configured http(s) URL
            return f"sent {request_id}: {response.status}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        # The record stays pending; the sweep rejects it as not verified in time.
        logger.warning("Photo verifier unreachable for %s/%s: %s", sid, school_number, exc)
        return f"verifier unreachable: {exc}"


@dataclass
class CallbackAnswer:
    status: int
    message: str


def receive_callback(body: bytes, timestamp: str, signature: str, now: float | None = None) -> CallbackAnswer:
    """The verifier's signed result: checked, recorded once, written on the pending record."""
    now = wire_time() if now is None else now
    status, refused = check_signature(body, timestamp, signature, settings.PHOTO_VERIFIER_SECRET, now)
    if status:
        return CallbackAnswer(status, refused)
    try:
        data = json.loads(body)
        request_id, sid, number = str(data["id"]), str(data["session"]), str(data["student"])
        result = data["result"]
        distance = data.get("distance")
        distance = None if distance is None else float(distance)
    except (ValueError, KeyError, TypeError):
        return CallbackAnswer(400, "The body is not a verification result.")
    if result not in verify.RESULTS or not request_id or len(request_id) > 64:
        return CallbackAnswer(400, "Unknown result.")
    if VerificationCallback.objects.filter(callback_id=request_id).exists():
        return CallbackAnswer(409, "This verification was already received.")
    raw = live.get_record_raw(sid, number) if len(sid) <= 64 and len(number) <= 64 else None
    record = live.LiveRecord.from_json(raw) if raw else None
    if record is None or record.status != Status.PENDING or record.photo_request != request_id:
        return CallbackAnswer(404, "No pending check-in waits for this verification.")
    try:
        with transaction.atomic():
            VerificationCallback.objects.create(callback_id=request_id)
    except IntegrityError:
        return CallbackAnswer(409, "This verification was already received.")
    outcome = verify.apply(sid, number, record.photo, verify.Verdict(result, distance))
    return CallbackAnswer(200, outcome)
