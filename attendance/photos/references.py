"""Reference photos in bulk: a ZIP of ``<school number>.jpg`` files, read in the worker.

The admin stores the archive and enqueues ``import_zip``; the upload row
counts the files done (the admin's progress bar reads it) and keeps a line
per file: saved, or why not (unknown number, not a photo, no face, several
faces).  The archive is deleted once read.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import storage
from ..models import ReferencePhoto, ReferenceUpload
from . import faces, images, verify

User = get_user_model()

MAX_FILES = 5000
BATCH = 200  # files per task: about 25 s of work here, far inside the cluster's timeout
MAX_ARCHIVE_BYTES = 500 * 1024 * 1024

# Each file's result is stored in English and shown in the reader's language (the report template).
SAVED = gettext_noop("reference saved")
RESULT_TEXT = {
    faces.NONE: gettext_noop("no face found"),
    faces.SEVERAL: gettext_noop("several faces found"),
    faces.UNREADABLE: gettext_noop("not a readable photo"),
}


class ArchiveRefused(ValueError):
    """The upload is not a ZIP this import takes; the message says why."""


PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def photo_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The files of an archive that may be photos: named as photos (a readme.txt is no unknown school number),
    no folders, no macOS resource forks, no hidden files."""
    return [
        member
        for member in archive.infolist()
        if not member.is_dir()
        and PurePosixPath(member.filename).suffix.lower() in PHOTO_SUFFIXES
        and not PurePosixPath(member.filename).name.startswith(".")
        and "__MACOSX" not in member.filename
    ]


def check_archive(upload) -> int:
    """Refuse what is not a bounded ZIP before anything is stored; return its number of photos."""
    if upload.size > MAX_ARCHIVE_BYTES:
        raise ArchiveRefused(_("The archive is larger than %(mb)s MB.") % {"mb": MAX_ARCHIVE_BYTES // 1024 // 1024})
    try:
        with zipfile.ZipFile(upload) as archive:
            members = photo_members(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveRefused(_("That file is not a ZIP archive.")) from exc
    finally:
        upload.seek(0)
    if not members:
        raise ArchiveRefused(_("The archive holds no files."))
    if len(members) > MAX_FILES:
        raise ArchiveRefused(
            _("The archive holds %(n)s files; at most %(max)s at a time.") % {"n": len(members), "max": MAX_FILES}
        )
    return len(members)


def import_zip(upload_id: int) -> str:
    """Read the next BATCH files of an uploaded archive; enqueue the rest as a new task.

    A task stays well inside the cluster's timeout whatever the archive's
    size, and ``done`` is where the next one starts.
    """
    upload = ReferenceUpload.objects.get(pk=upload_id)
    if upload.finished:
        return "already imported"
    with storage.private().open(upload.archive, "rb") as handle, zipfile.ZipFile(handle) as archive:
        members = photo_members(archive)
        batch = members[upload.done : upload.done + BATCH]
        numbers = {PurePosixPath(m.filename).stem for m in batch}
        students = {u.school_number: u for u in User.objects.filter(school_number__in=numbers)}
        upload.total = len(members)
        for member in batch:
            number = PurePosixPath(member.filename).stem
            result = _one(archive, member, students.get(number))
            upload.report.append({"file": member.filename, "number": number, "result": result})
            upload.done += 1
            upload.save(update_fields=["total", "done", "report"])
    if upload.done < upload.total:
        task_name = f"references-{upload.pk}-{upload.done}"
        verify.enqueue_photo_task("attendance.tasks.import_references", upload.pk, task_name=task_name)
        return f"{upload.done} of {upload.total} read; the rest continues in another task"
    storage.delete(upload.archive)
    upload.archive, upload.finished = "", True
    upload.save(update_fields=["archive", "finished"])
    saved = sum(line["result"] == SAVED for line in upload.report)
    return f"{saved} of {upload.total} reference photos saved"


def _one(archive: zipfile.ZipFile, member: zipfile.ZipInfo, student) -> str:
    if student is None:
        return gettext_noop("unknown school number")
    if member.file_size > settings.PHOTO_MAX_BYTES:
        return gettext_noop("larger than the photo limit")
    try:
        photo = images.clean(archive.read(member))
    except images.PhotoRefused:
        return gettext_noop("not a readable photo")
    except (zipfile.BadZipFile, OSError, ValueError):
        return gettext_noop("could not be read from the archive")
    face = faces.encode(photo)
    if face.found != faces.ONE:
        return RESULT_TEXT[face.found]
    reference = ReferencePhoto.objects.create(
        student=student,
        image=images.save("references", student.school_number, photo),
        encoding=list(face.encoding),
        origin=ReferencePhoto.Origin.ADMIN,
    )
    verify.make_ready(reference, by=None)
    return SAVED
