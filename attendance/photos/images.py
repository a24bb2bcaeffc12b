"""What a photo upload must be, and how it is kept (in the private storage, ``attendance.storage``).

The type comes from the bytes (Pillow), never from the name or the browser's
content type.  An accepted photo is turned upright by its EXIF orientation,
scaled to at most PHOTO_STORED_SIDE pixels and stored as a fresh JPEG, which
carries no EXIF (no GPS position, no camera serial number).
"""

from __future__ import annotations

import io
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .. import storage

ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}  # MPO: the JPEG some phones write


class PhotoRefused(ValueError):
    """The upload is not a photo this service accepts; the message says why, for the student."""


def clean(data: bytes) -> bytes:
    """Return the upload as an upright, EXIF-free JPEG of bounded size, or raise PhotoRefused."""
    limit_mb = settings.PHOTO_MAX_BYTES / 1024 / 1024
    if len(data) > settings.PHOTO_MAX_BYTES:
        raise PhotoRefused(
            _("The photo is larger than %(mb)s MB: take it again or choose a smaller one.") % {"mb": f"{limit_mb:.0f}"}
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRefused(_("That file is not a photo (JPEG, PNG or WebP)."))
            width, height = image.size  # from the header: nothing is decoded before this check
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise PhotoRefused(_("The photo has too many pixels: take it again at a lower resolution."))
            side = settings.PHOTO_STORED_SIDE
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (side, side))  # decode at 1/2, 1/4 or 1/8 scale where that still covers side
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((side, side))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=88)  # no exif= argument: the metadata stays behind
            return out.getvalue()
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise PhotoRefused(_("That file is not a photo we can read (JPEG, PNG or WebP).")) from exc


def save(folder: str, stem: str, data: bytes) -> str:
    """Store a cleaned photo under an unguessable name; return its storage name."""
    return storage.private().save(f"{folder}/{stem}-{secrets.token_urlsafe(12)}.jpg", ContentFile(data))


def read(name: str) -> bytes:
    with storage.private().open(name, "rb") as handle:
        return handle.read()
