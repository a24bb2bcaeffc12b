"""Faces through face_recognition (dlib's HOG detector and its ResNet encoder).

The models load on first use and stay loaded for the life of the process
(a django-q2 worker loads them once, not per task).  Faces are looked for at
the photo's own scale first, and once more at twice the scale only when none
was found; a detection scoring under MIN_SCORE is not counted (the detector
finds faint "faces" in shirt patches and flags, which would turn a good
selfie into "several faces").
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

DETECT_SIDE = 640  # photos are scaled to this before detection (a phone sends about this much)
MIN_SCORE = 0.3  # the HOG detector's score: real faces here score 0.4-3, patches and flags about 0.1

ONE = "one"
NONE = "no_face"
SEVERAL = "several_faces"
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Face:
    found: str  # ONE, NONE, SEVERAL or UNREADABLE
    encoding: tuple[float, ...] | None = None


def numpy():
    import numpy  # noqa: PLC0415 — web processes import this module but never read faces

    return numpy


def _api():
    from face_recognition import api  # noqa: PLC0415 — dlib and the models load only where faces are read

    return api


def encode(data: bytes) -> Face:
    """The encoding of the one face in a photo, or what was found instead."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGB")
            image.thumbnail((DETECT_SIDE, DETECT_SIDE))
            pixels = numpy().asarray(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return Face(UNREADABLE)
    api = _api()
    boxes = _detect(api, pixels, 0) or _detect(api, pixels, 1)
    if not boxes:
        return Face(NONE)
    if len(boxes) > 1:
        return Face(SEVERAL)
    (encoding,) = api.face_encodings(pixels, boxes)
    return Face(ONE, tuple(float(x) for x in encoding))


def _detect(api, pixels, upsample: int) -> list[tuple[int, int, int, int]]:
    """Face boxes as (top, right, bottom, left), clipped to the photo, of the detections that score."""
    height, width = pixels.shape[:2]
    found, scores, _ = api.face_detector.run(pixels, upsample, 0.0)
    return [
        (max(box.top(), 0), min(box.right(), width), min(box.bottom(), height), max(box.left(), 0))
        for box, score in zip(found, scores)
        if score >= MIN_SCORE
    ]


def distance(a, b) -> float:
    """The Euclidean distance of two encodings: 0 the same face, above PHOTO_TOLERANCE someone else."""
    np = numpy()
    return float(np.linalg.norm(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)))
