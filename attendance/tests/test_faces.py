"""The face model itself, on real photographs: the same person matches, someone else does not."""

import pytest

from attendance.photos import faces, verify
from attendance.photos.images import PhotoRefused, clean

from .photo_helpers import astronaut_jpeg, cat_jpeg, group_jpeg, same_person_variants, someone_else_jpeg

pytestmark = pytest.mark.faces


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


def test_someone_else_does_not_match(reference):
    verdict = verify.judge(clean(someone_else_jpeg()), reference)
    assert verdict.result == verify.MISMATCH
    assert verdict.distance > 0.6


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
