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
    yaw: float | None = None  # with ``encode(..., pose=True)``: where the head points (``yaw``)


def numpy():
    import numpy  # noqa: PLC0415 — web processes import this module but never read faces

    return numpy


def _api():
    from face_recognition import api  # noqa: PLC0415 — dlib and the models load only where faces are read

    return api


def encode(data: bytes, *, pose: bool = False) -> Face:
    """The encoding of the one face in a photo (and with ``pose``, its yaw), or what was found instead."""
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
    turn = yaw(api.face_landmarks(pixels, boxes)[0]) if pose else None
    return Face(ONE, tuple(float(x) for x in encoding), turn)


def yaw(landmarks: dict) -> float:
    """Where the head points, from dlib's 68 landmarks: the nose tip's place between the jaw's two ends.

    0 looking straight at the camera, towards +1 turned to the person's own left (the nose nears the jaw's
    end on the picture's right: a camera's picture is not mirrored), towards -1 to their right.  A ratio
    along one line: a flat photo tilted or swung in front of the camera keeps it (an affine change).
    """
    np = numpy()
    jaw = landmarks["chin"]
    start, end = np.asarray(jaw[0], dtype=float), np.asarray(jaw[-1], dtype=float)
    tip = np.asarray(landmarks["nose_bridge"][-1], dtype=float)  # point 30, the tip of the nose
    across = end - start
    place = float(np.dot(tip - start, across) / max(float(np.dot(across, across)), 1.0))
    return round(2 * place - 1, 4)


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
