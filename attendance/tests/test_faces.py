"""The face model itself, on real photographs: the same person matches, someone else does not."""

import pytest

from attendance.photos import faces, verify
from attendance.photos.images import PhotoRefused, clean

from .photo_helpers import astronaut_jpeg, cat_jpeg, group_jpeg, same_person_variants, someone_else_jpeg

pytestmark = pytest.mark.faces

# The distances to the astronaut's reference before issue 30 (dlib 20.0.1, face_recognition 1.3.0): each
# test prints its distance beside this one, so a change to how faces are read shows any drift (run -s).
BEFORE = {
    "cropped": 0.0552,
    "scaled down": 0.1451,
    "brighter": 0.3321,
    "darker": 0.1303,
    "JPEG quality 15": 0.2057,
    "someone else": 0.8032,
}
DRIFT = 0.01  # the same photos must give the same verdicts: far under any margin to PHOTO_TOLERANCE


def shows_drift(name: str, distance: float) -> None:
    print(
        f"\n{name}: distance {distance:.4f}, before issue 30 {BEFORE[name]:.4f} (drift {distance - BEFORE[name]:+.4f})"
    )
    assert abs(distance - BEFORE[name]) < DRIFT, f"{name}: the distance drifted"


@pytest.fixture(scope="module")
def reference():
    face = faces.encode(astronaut_jpeg())
    assert face.found == faces.ONE
    assert len(face.encoding) == 128
    return face.encoding


@pytest.mark.parametrize("variant", list(same_person_variants()))
def test_the_same_person_matches_under_crop_scale_light_and_compression(reference, variant):
    photo = same_person_variants()[variant]
    verdict = verify.judge(clean(photo), reference)
    assert verdict.result == verify.MATCH, f"{variant}: distance {verdict.distance}"
    assert verdict.distance < 0.45
    shows_drift(variant, verdict.distance)


def test_someone_else_does_not_match(reference):
    verdict = verify.judge(clean(someone_else_jpeg()), reference)
    assert verdict.result == verify.MISMATCH
    assert verdict.distance > 0.6
    shows_drift("someone else", verdict.distance)


def test_a_photo_without_a_face_says_so(reference):
    assert verify.judge(cat_jpeg(), reference) == verify.Verdict(faces.NONE)


def test_a_group_photo_says_several_faces(reference):
    assert verify.judge(group_jpeg(), reference) == verify.Verdict(faces.SEVERAL)


def test_bytes_that_are_no_image_are_unreadable():
    assert faces.encode(b"GIF89a not really").found == faces.UNREADABLE
    with pytest.raises(PhotoRefused):
        clean(b"%PDF-1.4 a document")


def test_the_tolerance_is_a_setting(reference, settings):
    settings.PHOTO_TOLERANCE = 0.01
    assert verify.judge(same_person_variants()["brighter"], reference).result == verify.MISMATCH
