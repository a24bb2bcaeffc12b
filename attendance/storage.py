"""Private files — selfies, reference photos, their ZIP uploads and excuse documents — in one storage.

Nothing in it has a URL: a view that has checked who may see a file (``attendance.access``) serves it
with :func:`serve`. The storage keeps its settings name, ``photos`` (a local folder or an S3-compatible
bucket), because the files already saved live under that name.
"""

from __future__ import annotations

from django.core.files.storage import Storage, storages
from django.http import FileResponse, Http404

SETTINGS_NAME = "photos"


def private() -> Storage:
    """The private storage (local ``MEDIA_ROOT/photos``, or a bucket): never served by URL."""
    return storages[SETTINGS_NAME]


def delete(name: str) -> None:
    """Delete a private file (no name: nothing to delete)."""
    if name:
        private().delete(name)


def serve(name: str, content_type: str, *, missing: str, filename: str = "") -> FileResponse:
    """A private file for one who may see it: never cached on the way, shown inline (under ``filename``
    when it is saved). A missing file is a 404 with the message ``missing``."""
    try:
        handle = private().open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404(missing) from None
    response = FileResponse(handle, content_type=content_type, as_attachment=False, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if not filename:
        response["Content-Disposition"] = "inline"
    return response
