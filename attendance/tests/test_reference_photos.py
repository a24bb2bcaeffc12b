"""Reference photos in the admin: one at a time, or a ZIP with a progress bar and a line per file."""

import io
import zipfile

import pytest
from django.urls import reverse

from attendance import storage, tasks
from attendance.models import ReferencePhoto, ReferenceUpload
from attendance.photos import images
from conftest import login
from tests.factories import TeacherFactory, UserFactory

from .photo_helpers import astronaut_jpeg, cat_jpeg, group_jpeg, someone_else_jpeg

pytestmark = pytest.mark.faces

ADD = reverse("admin:attendance_referencephoto_add")
ZIP = reverse("admin:attendance_reference_zip")


@pytest.fixture
def staff(db):
    """An administrator with every model permission (reference photos need add and view)."""
    from tests.factories import AdminFactory

    return AdminFactory(school_number="A3003", is_superuser=True)


def queued(photo_queue, func):
    from django_q.signing import SignedPackage

    found = [SignedPackage.loads(m[1]) for m in photo_queue.dequeue() or []]
    return [t["args"] for t in found if t["func"] == func]


def upload(name, data, content_type="image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_one_reference_photo_is_read_in_the_worker(
    client, staff, student, photo_queue, django_capture_on_commit_callbacks
):
    login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, {"student": student.pk, "upload": upload("me.jpg", astronaut_jpeg())})
    assert response.status_code == 302
    reference = ReferencePhoto.objects.get(student=student)
    assert reference.state == ReferencePhoto.State.PROCESSING and reference.encoding is None
    ((pk,),) = queued(photo_queue, "attendance.tasks.encode_reference")
    assert tasks.encode_reference(pk) == "ready"
    reference.refresh_from_db()
    assert reference.state == ReferencePhoto.State.READY and len(reference.encoding) == 128
    changelist = client.get(reverse("admin:attendance_referencephoto_changelist")).content.decode()
    assert "Upload a ZIP of photos" in changelist and student.full_name in changelist


def test_a_photo_with_two_faces_is_not_a_reference(client, staff, student, photo_queue):
    login(client, staff)
    client.post(ADD, {"student": student.pk, "upload": upload("us.jpg", group_jpeg())})
    reference = ReferencePhoto.objects.get(student=student)
    assert tasks.encode_reference(reference.pk) == "several_faces"
    reference.refresh_from_db()
    assert reference.state == "several_faces"


def test_the_admin_refuses_what_is_not_a_photo(client, staff, student):
    login(client, staff)
    response = client.post(ADD, {"student": student.pk, "upload": upload("me.jpg", b"<svg></svg>")})
    assert response.status_code == 200 and "not a photo" in response.content.decode()
    assert not ReferencePhoto.objects.exists()


def test_a_zip_of_photos_reports_each_file(client, staff, student, photo_queue, django_capture_on_commit_callbacks):
    UserFactory(school_number="S2002")
    UserFactory(school_number="S3003")
    UserFactory(school_number="S4004")
    UserFactory(school_number="S5005")
    old = ReferencePhoto.objects.create(
        student=student, image=images.save("references", "S1001", cat_jpeg()), encoding=[0.0] * 128, state="ready"
    )
    data = archive(
        {
            "class/S1001.jpg": astronaut_jpeg(),
            "class/S2002.jpg": someone_else_jpeg(),
            "class/S3003.jpg": cat_jpeg(),
            "class/S4004.jpg": group_jpeg(),
            "class/S5005.jpg": b"not an image",
            "class/S9999.jpg": astronaut_jpeg(),
            "__MACOSX/class/._S1001.jpg": b"resource fork",
            "class/readme.txt": b"Photos of CS101, autumn term",  # not a photo: not in the report
        }
    )
    login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ZIP, {"archive": upload("class.zip", data, "application/zip")})
    assert response.status_code == 302
    upload_row = ReferenceUpload.objects.get()
    progress = client.get(response["Location"]).content.decode()
    assert "<progress" in progress and "0 of 6 photos read" in progress

    ((upload_id,),) = queued(photo_queue, "attendance.tasks.import_references")
    assert tasks.import_references(upload_id) == "2 of 6 reference photos saved"
    upload_row.refresh_from_db()
    assert upload_row.finished and upload_row.archive == ""
    results = {line["number"]: line["result"] for line in upload_row.report}
    assert results == {
        "S1001": "reference saved",
        "S2002": "reference saved",
        "S3003": "no face found",
        "S4004": "several faces found",
        "S5005": "not a readable photo",
        "S9999": "unknown school number",
    }
    old.refresh_from_db()
    assert old.state == ReferencePhoto.State.REPLACED, "the new photo replaces the old reference"
    assert ReferencePhoto.objects.get(student=student, state="ready").origin == "admin"
    report = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "6 of 6 photos read: done" in report and "unknown school number" in report


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"PK not really a zip", "not a ZIP"), (archive({}), "holds no files")],
)
def test_a_bad_archive_is_refused_before_anything_is_stored(client, staff, data, error):
    login(client, staff)
    response = client.post(ZIP, {"archive": upload("class.zip", data, "application/zip")})
    assert response.status_code == 400 and error in response.content.decode()
    assert not ReferenceUpload.objects.exists()


def test_teachers_cannot_upload_references(client, db):
    login(client, TeacherFactory(school_number="T5005"))
    assert client.get(ZIP).status_code == 302, "not staff: the admin login"


def test_staff_approve_offered_photos_in_the_admin(client, staff, student):
    offered = ReferencePhoto.objects.create(
        student=student,
        image=images.save("references", "S1001", astronaut_jpeg()),
        encoding=[0.1] * 128,
        state="proposed",
        origin="student",
    )
    login(client, staff)
    changelist = reverse("admin:attendance_referencephoto_changelist")
    client.post(changelist, {"action": "approve_offered", "_selected_action": [offered.pk]})
    offered.refresh_from_db()
    assert offered.state == "ready" and offered.decided_by == staff


def test_a_large_archive_goes_on_in_further_tasks(client, staff, student, photo_queue, monkeypatch):
    from attendance.photos import references

    monkeypatch.setattr(references, "BATCH", 2)
    names = {f"S{n}.jpg": b"not an image" for n in range(5)}
    upload_row = ReferenceUpload.objects.create(
        uploaded_by=staff, archive=storage.private().save("uploads/references.zip", io.BytesIO(archive(names))), total=5
    )
    assert tasks.import_references(upload_row.pk) == "2 of 5 read; the rest continues in another task"
    assert queued(photo_queue, "attendance.tasks.import_references") == [(upload_row.pk,)]
    tasks.import_references(upload_row.pk)
    assert tasks.import_references(upload_row.pk) == "0 of 5 reference photos saved"
    upload_row.refresh_from_db()
    assert upload_row.done == 5 and upload_row.finished and len(upload_row.report) == 5
