"""One face on two accounts: a check-in selfie compared with the session's other selfies, and a first
selfie offered as a reference compared with the course's other students' references.

The worker computes each selfie's 128-number encoding already; here the session's encodings are read in
one round trip (``live.add_face``) and compared by one matrix operation (a session of 2,000 is a
2,000 × 128 subtraction, not a loop of queries).  A match within PHOTO_TOLERANCE flags both records
"same face as <number>" for the teacher (a soft flag: the status stays); a reference offer that matches
another student's reference is not kept as a reference.
"""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings

from .. import live
from ..models import ReferencePhoto
from ..reasons import SAME_FACE_PREFIX
from . import faces

RETRIES = 5  # a record changed between the read and the write (a check-in, a correction): read it again


def _pack(encoding) -> bytes:
    return faces.numpy().asarray(encoding, dtype="<f4").tobytes()


def _closest(encoding, others: dict[str, object]) -> list[str]:
    """The keys of ``others`` (encodings) within PHOTO_TOLERANCE of ``encoding``, in one matrix operation."""
    if not others:
        return []
    np = faces.numpy()
    numbers = list(others)
    matrix = np.vstack([np.asarray(others[n], dtype=float) for n in numbers])
    distances = np.linalg.norm(matrix - np.asarray(encoding, dtype=float), axis=1)
    return [n for n, d in zip(numbers, distances) if d <= settings.PHOTO_TOLERANCE]


def session_matches(sid: str, school_number: str, encoding) -> list[str]:
    """Keep this selfie's encoding with the session; return the other students whose selfie shows this face."""
    held = live.add_face(sid, school_number, _pack(encoding))
    np = faces.numpy()
    others = {n: np.frombuffer(raw, dtype="<f4") for n, raw in held.items() if n != school_number}
    return sorted(_closest(encoding, others))


def reference_owner(encoding, *, course_id: int | None, student) -> str | None:
    """The school number of another student of the course whose reference shows this face, or None."""
    if course_id is None:
        return None
    references = (
        ReferencePhoto.objects.filter(
            student__enrollments__course_id=course_id,
            state__in=[ReferencePhoto.State.READY, ReferencePhoto.State.PROPOSED],
            encoding__isnull=False,
        )
        .exclude(student=student)
        .values_list("student__school_number", "encoding")
    )
    owners = _closest(encoding, dict(references))
    return owners[0] if owners else None


def flag(record: live.LiveRecord, numbers) -> live.LiveRecord:
    """The record with a "same face as <number>" flag for each of ``numbers`` it does not carry yet."""
    new = [f"{SAME_FACE_PREFIX}{n}" for n in numbers if f"{SAME_FACE_PREFIX}{n}" not in record.flags]
    return replace(record, flags=[*record.flags, *new]) if new else record


def flag_others(sid: str, school_number: str, others: list[str]) -> None:
    """Flag each other student's record "same face as <school_number>" (compare-and-set, so a check-in or a
    teacher's correction written meanwhile is kept: the flag goes on top of it)."""
    for number in others:
        for _attempt in range(RETRIES):
            raw = live.get_record_raw(sid, number)
            if raw is None:
                break
            record = live.LiveRecord.from_json(raw)
            flagged = flag(record, [school_number])
            if flagged is record or live.replace_record(sid, number, raw, flagged) in ("ok", "gone"):
                break
