"""Selfie uploads cost a decode, a file and a verification each: bounded before the server reads them."""

import io
import struct
import zlib
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_q.signing import SignedPackage
from PIL import Image

from attendance import live, storage
from attendance.checkin import proofs
from attendance.models import Status
from attendance.photos import retention
from conftest import login

from .live_helpers import code, start
from .photo_helpers import astronaut_jpeg

HOME = reverse("attendance:student_home")


@pytest.fixture
def photo_session(teacher, course, clock):
    return start(teacher, course, now=clock.now, photo_check=True)


def confirm_link(client, session, clock) -> str:
    response = client.post(HOME, {"code": code(session, clock.now)})
    assert response.status_code == 302 and "/go/" in response["Location"]
    return response["Location"]


def upload(data: bytes, name="selfie.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_selfies(session) -> list[str]:
    folder = f"{retention.CHECKINS}/{session.id}"
    if not storage.private().exists(folder):
        return []
    return storage.private().listdir(folder)[1]


def queued_verifications(photo_queue) -> int:
    queued = []
    while messages := photo_queue.dequeue():  # one at a time (Q_CLUSTER's bulk)
        queued += [SignedPackage.loads(m[1]) for m in messages]
    return sum(t["func"] == "attendance.tasks.verify_photo" for t in queued)


def reject(session, number="S1001"):
    """The worker's verdict "no face" on the student's selfie (a rejection the student may try again after)."""
    raw = live.get_record_raw(session.id, number)
    rejected = replace(live.get_record(session.id, number), status=Status.REJECTED, reason="No face found.")
    assert live.replace_record(session.id, number, raw, rejected) == "ok"


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size and holds (almost) no pixels: only its header can be read."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10))


def test_it_refuses_a_6300_pixel_square_from_its_header(student_client, photo_session, clock):
    """The size is read from the header: an image that could not even be decoded is refused for its pixels."""
    link = confirm_link(student_client, photo_session, clock)
    response = student_client.post(link, {"photo": upload(png_header(6300, 6300), "big.png", "image/png")})
    assert response.status_code == 400
    assert "too many pixels" in response.content.decode()
    assert live.get_record(photo_session.id, "S1001") is None


def test_it_refuses_a_real_6300_pixel_png(student_client, photo_session, clock):
    out = io.BytesIO()
    Image.new("1", (6300, 6300)).save(out, "PNG")  # a few KB on the wire, 40 megapixels decoded
    link = confirm_link(student_client, photo_session, clock)
    response = student_client.post(link, {"photo": upload(out.getvalue(), "big.png", "image/png")})
    assert response.status_code == 400 and "too many pixels" in response.content.decode()
    assert stored_selfies(photo_session) == []


def test_a_phone_selfie_still_fits(settings):
    from attendance.photos import images

    assert settings.PHOTO_MAX_PIXELS >= 4032 * 3024, "a 12-megapixel front camera"
    selfie = io.BytesIO()
    Image.new("RGB", (3024, 4032), "white").save(selfie, "JPEG")
    assert Image.open(io.BytesIO(images.clean(selfie.getvalue()))).size == (768, 1024)


def test_it_refuses_a_photo_once_the_student_is_checked_in(student_client, photo_session, clock, photo_queue):
    link = confirm_link(student_client, photo_session, clock)
    assert student_client.post(link, {"photo": upload(astronaut_jpeg())}).status_code == 302
    first = live.get_record(photo_session.id, "S1001")
    assert first.status == Status.PENDING

    response = student_client.post(link, {"photo": upload(astronaut_jpeg())})
    assert response.status_code == 409
    html = response.content.decode()
    assert "already checked in" in html
    assert reverse("attendance:result", args=[photo_session.id]) in html
    assert live.get_record(photo_session.id, "S1001").photo == first.photo
    assert len(stored_selfies(photo_session)) == 1 and queued_verifications(photo_queue) == 1


def test_it_refuses_a_photo_over_the_remote_link_once_checked_in(client, teacher, student, course, clock):
    session = start(teacher, course, now=clock.now, photo_check=True, admits_remote=True)
    login(client, student)
    url = reverse("attendance:remote", args=[session.id, proofs.remote_token(session.secret)])
    typed = code(session, clock.now)
    assert client.post(url, {"photo": upload(astronaut_jpeg()), "code": typed}).status_code == 302
    assert client.post(url, {"photo": upload(astronaut_jpeg()), "code": typed}).status_code == 409
    assert len(stored_selfies(session)) == 1


def test_photo_posts_are_limited_per_student_and_session(
    student_client, photo_session, clock, photo_queue, settings, course, teacher
):
    settings.PHOTO_UPLOADS_PER_SESSION = 2
    link = confirm_link(student_client, photo_session, clock)
    for _ in range(2):
        assert student_client.post(link, {"photo": upload(astronaut_jpeg())}).status_code == 302
        reject(photo_session)
    response = student_client.post(link, {"photo": upload(astronaut_jpeg())})
    assert response.status_code == 429
    assert "too many photos" in response.content.decode()
    assert live.get_record(photo_session.id, "S1001").status == Status.REJECTED
    assert len(stored_selfies(photo_session)) == 2 and queued_verifications(photo_queue) == 2

    live.finish(photo_session, clock.now)  # the teacher's next session: a count of its own
    other = start(teacher, course, now=clock.now, photo_check=True)
    response = student_client.post(confirm_link(student_client, other, clock), {"photo": upload(astronaut_jpeg())})
    assert response.status_code == 302


def test_the_count_lives_and_goes_with_the_session(photo_session, student):
    assert live.count_photo_upload(photo_session, student.school_number) == "ok"
    keys = live.session_keys(photo_session.id)
    assert live.client().ttl(keys.photos) > 0, "it expires with the session's keys"
    assert keys.photos in keys.expiring and keys.photos in keys.all, "moved with the end, deleted by the sweep"
