"""The external verifier's signed callback, and the reference verifier end to end."""

import dataclasses
import json
import threading
import time

import pytest
from django.urls import reverse

from attendance import live, tasks
from attendance.checkin.service import Visitor, record_check_in
from attendance.models import ReferencePhoto, Status, VerificationCallback
from attendance.photos import external, faces, images, verify

from .live_helpers import TEACHER_IP, start
from .photo_helpers import astronaut_jpeg, someone_else_jpeg

URL = reverse("attendance:verification_callback")
SECRET = "test-verifier-secret"


@pytest.fixture
def verifier(settings):
    settings.PHOTO_VERIFIER_SECRET = SECRET
    settings.PHOTO_VERIFIER_URL = "http://127.0.0.1:9/"  # set per test where a verifier runs


@pytest.fixture
def reference(student):
    return ReferencePhoto.objects.create(
        student=student,
        image=images.save("references", "S1001", astronaut_jpeg()),
        encoding=list(faces.encode(astronaut_jpeg()).encoding),
        state=ReferencePhoto.State.READY,
    )


@pytest.fixture
def awaiting(teacher, course, student, clock, verifier):
    """A pending photo check-in that a verifier was asked about (request id "req-1")."""
    session = start(teacher, course, now=clock.now, photo_check=True)
    visitor = Visitor(student=student, ip=TEACHER_IP, device="", photo=astronaut_jpeg())
    record_check_in(session=session, visitor=visitor, source="code", now=clock.now)
    raw = live.get_record_raw(session.id, "S1001")
    asked = dataclasses.replace(live.LiveRecord.from_json(raw), photo_request="req-1")
    assert live.replace_record(session.id, "S1001", raw, asked) == "ok"
    return session


def body(awaited, **changes):
    data = {"id": "req-1", "session": awaited.id, "student": "S1001", "result": "match", "distance": 0.31}
    return json.dumps({**data, **changes}).encode()


def post(client, payload: bytes, *, secret=SECRET, skew=0, signature=None):
    headers = external.signed_headers(payload, secret, now=time.time() + skew)
    if signature is not None:
        headers[external.SIGNATURE_HEADER] = signature
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(URL, payload, content_type="application/json", **extra)


def status_of(session):
    return live.get_record(session.id, "S1001").status


def test_a_signed_result_lands_on_the_pending_record(client, awaiting):
    response = post(client, body(awaiting))
    assert response.status_code == 200, response.content
    record = live.get_record(awaiting.id, "S1001")
    assert record.status == Status.PRESENT and record.photo_distance == 0.31


def test_a_replayed_callback_is_refused(client, awaiting):
    assert post(client, body(awaiting)).status_code == 200
    assert post(client, body(awaiting, result="mismatch")).status_code == 409
    assert status_of(awaiting) == Status.PRESENT


@pytest.mark.parametrize(
    ("tamper", "status"),
    [
        ({"signature": "sha256=" + "0" * 64}, 403),
        ({"secret": "someone-elses-secret"}, 403),
        ({"skew": -320}, 400),
        ({"skew": 320}, 400),
    ],
)
def test_forged_and_stale_callbacks_are_refused_and_change_nothing(client, awaiting, tamper, status):
    assert post(client, body(awaiting), **tamper).status_code == status
    assert status_of(awaiting) == Status.PENDING
    assert not VerificationCallback.objects.exists()


def test_a_forwarded_body_under_another_signature_is_refused(client, awaiting):
    """The signature covers the body: a body changed in transit fails it."""
    payload = body(awaiting)
    headers = external.signed_headers(payload, SECRET)
    changed = body(awaiting, result="mismatch")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    assert client.post(URL, changed, content_type="application/json", **extra).status_code == 403
    assert status_of(awaiting) == Status.PENDING


@pytest.mark.parametrize(
    "changes",
    [{"id": "req-unknown"}, {"student": "S9999"}, {"session": "00000000-0000-0000-0000-000000000000"}],
)
def test_unknown_records_are_refused(client, awaiting, changes):
    assert post(client, body(awaiting, **changes)).status_code == 404
    assert status_of(awaiting) == Status.PENDING
    assert not VerificationCallback.objects.exists()


@pytest.mark.parametrize("payload", [b"not json", b"{}", b'{"id": "req-1", "result": "great"}'])
def test_malformed_bodies_are_refused(client, awaiting, payload):
    assert post(client, payload).status_code == 400
    assert status_of(awaiting) == Status.PENDING


def test_without_a_secret_nothing_is_accepted(client, awaiting, settings):
    settings.PHOTO_VERIFIER_SECRET = ""
    assert post(client, body(awaiting), secret="").status_code == 403


def test_only_post(client):
    assert client.get(URL).status_code == 405


@pytest.fixture
def reference_verifier(settings):
    """The reference verifier (manage.py photo_verifier) on a free loopback port."""
    from attendance.management.commands.photo_verifier import make_server

    server = make_server("127.0.0.1", 0, SECRET)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.mark.faces
@pytest.mark.parametrize(
    ("photo", "result", "status"),
    [
        (astronaut_jpeg, verify.MATCH, Status.PRESENT),
        (someone_else_jpeg, verify.MISMATCH, Status.REJECTED),
    ],
)
def test_the_reference_verifier_end_to_end(
    live_server, settings, reference_verifier, teacher, course, student, clock, photo, result, status
):
    """Worker → verifier over HTTP → signed callback to the running app → the live record."""
    ReferencePhoto.objects.create(
        student=student,
        image=images.save("references", "S1001", astronaut_jpeg()),
        encoding=list(faces.encode(astronaut_jpeg()).encoding),
        state=ReferencePhoto.State.READY,
    )
    settings.PHOTO_VERIFIER_SECRET = SECRET
    settings.PHOTO_VERIFIER_URL = reference_verifier
    settings.PHOTO_VERIFIER_CALLBACK_URL = live_server.url + URL
    session = start(teacher, course, now=clock.now, photo_check=True)
    visitor = Visitor(student=student, ip=TEACHER_IP, device="", photo=photo())
    record_check_in(session=session, visitor=visitor, source="code", now=clock.now)
    name = live.get_record(session.id, "S1001").photo
    assert tasks.verify_photo(session.id, "S1001", name).startswith("sent ")
    deadline = time.monotonic() + 30
    while status_of(session) == Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
    record = live.get_record(session.id, "S1001")
    assert record.status == status and record.photo_result == result
    assert VerificationCallback.objects.filter(callback_id=record.photo_request).exists()


def test_an_unreachable_verifier_leaves_the_record_pending(awaiting, reference, settings):
    settings.PHOTO_VERIFIER_URL = "http://127.0.0.1:9/"  # discard port: nothing listens
    name = live.get_record(awaiting.id, "S1001").photo
    # The record is pending on request req-1; a new request replaces it, then fails to send.
    assert tasks.verify_photo(awaiting.id, "S1001", name).startswith("verifier unreachable")
    assert status_of(awaiting) == Status.PENDING
