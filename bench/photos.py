"""Photo verification benchmark: what one verification costs in the worker, and the worker's memory.

Run with `make bench-photos` (BENCH_ARGS="--runs 40").  In one fresh process,
as a django-q2 worker would: the memory before the face model is loaded, the
first verification (which loads dlib's detector and ResNet encoder), then
``--runs`` verifications of a phone-sized selfie (clean the upload, find the
one face, encode it, compare with the reference) and the memory after.  The
photos are the test photos (the astronaut, face-api's sample2); ``profile_ms`` splits one verification
into its steps.

Then the burst (issue 30, bench/photo_burst.py; BENCH_ARGS="--burst 0" skips it): 500 photo check-ins
judged by the two clusters as `make run` starts them, with a sweep enqueued in the middle.  The last line
printed is one JSON object: the burst's figures (``burst_s``, ``verdicts_per_s``, ``sweep_wait_s``,
``p95_ms``, ``peak_rss_mb``…), the single process's under ``single``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attn_site.settings")


def mib(process: psutil.Process) -> float:
    return round(process.memory_info().rss / 1024 / 1024, 1)


def profile(photo: bytes, runs: int) -> dict[str, float]:
    """Where one verification's time goes (medians, ms): reading the JPEG, finding the face (dlib's HOG on
    640 px), its landmarks, the encoding (dlib's ResNet on a 150-px chip), and the session's other faces
    compared (``same_face.session_matches`` with 500 selfies held: a lecture hall's last one)."""
    import uuid

    import numpy as np
    from PIL import Image

    from attendance.photos import faces, same_face

    api = faces._api()
    steps: dict[str, list[float]] = {"read": [], "detect": [], "landmarks": [], "encode": [], "same_face_500": []}
    sid = str(uuid.uuid4())
    rng = np.random.default_rng(30)
    for n in range(500):
        same_face.session_matches(sid, f"X{n:04d}", rng.normal(0, 1, 128))  # far apart: no match
    for n in range(runs):
        t0 = time.perf_counter()
        with Image.open(io.BytesIO(photo)) as image:
            image = image.convert("RGB")
            image.thumbnail((faces.DETECT_SIDE, faces.DETECT_SIDE))
            pixels = np.asarray(image)
        t1 = time.perf_counter()
        boxes = faces._detect(api, pixels, 0)
        t2 = time.perf_counter()
        landmarks = api._raw_face_landmarks(pixels, boxes, "small")
        t3 = time.perf_counter()
        encoding = api.face_encoder.compute_face_descriptor(pixels, landmarks[0], 1)
        t4 = time.perf_counter()
        same_face.session_matches(sid, f"Y{n:04d}", np.asarray(encoding) + 5)
        t5 = time.perf_counter()
        for step, (a, b) in zip(steps, [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)]):
            steps[step].append((b - a) * 1000)
    return {step: round(statistics.median(values), 2) for step, values in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--burst", type=int, default=500, help="photo check-ins in the burst (0: none)")
    args = parser.parse_args()

    import django

    django.setup()
    from PIL import Image

    from attendance.photos import faces, images, verify
    from attendance.tests.photo_helpers import astronaut, jpeg, someone_else_jpeg

    process = psutil.Process()
    before = mib(process)
    started = time.perf_counter()
    reference = faces.encode(jpeg(astronaut()))
    first = time.perf_counter() - started
    loaded = mib(process)

    # What a phone sends: about 640 px on the longest side, JPEG.
    selfie = astronaut().resize((640, 640))
    other = Image.open(io.BytesIO(someone_else_jpeg()))
    other.thumbnail((640, 640))
    uploads = {"same person": jpeg(selfie, quality=85), "someone else": jpeg(other, quality=85)}
    timings: dict[str, list[float]] = {name: [] for name in uploads}
    results = {}
    for _ in range(args.runs):
        for name, upload in uploads.items():
            started = time.perf_counter()
            verdict = verify.judge(images.clean(upload), reference.encoding)
            timings[name].append(time.perf_counter() - started)
            results[name] = (verdict.result, verdict.distance)
    after = mib(process)

    summary = {
        "profile_ms": profile(images.clean(uploads["same person"]), args.runs),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "runs": args.runs,
        "first_verification_s": round(first, 3),
        "rss_before_model_mib": before,
        "rss_model_loaded_mib": loaded,
        "rss_after_runs_mib": after,
    }
    for name, values in timings.items():
        key = name.replace(" ", "_")
        values.sort()
        summary[f"{key}_median_ms"] = round(statistics.median(values) * 1000, 1)
        summary[f"{key}_p95_ms"] = round(values[int(0.95 * (len(values) - 1))] * 1000, 1)
        summary[f"{key}_result"] = f"{results[name][0]} ({results[name][1]})"
    print(f"first verification (loads the model): {first:.2f} s; memory {before} → {loaded} MiB, {after} after")
    for name in uploads:
        key = name.replace(" ", "_")
        print(f"{name}: median {summary[f'{key}_median_ms']} ms, p95 {summary[f'{key}_p95_ms']} ms, {results[name]}")
    if args.burst:
        import photo_burst

        burst = photo_burst.run(args.burst)
        judges = f"{burst['photo_workers']} photo workers" if burst["photo_workers"] else "on the main cluster's queue"
        print(
            f"burst of {burst['students']}: {burst['burst_s']} s from the first enqueue to the last verdict "
            f"({burst['verdicts_per_s']}/s, {judges}); per verification p50 "
            f"{burst['p50_ms']} ms, p95 {burst['p95_ms']} ms (the face {burst['face_p50_ms']} ms); a sweep "
            f"enqueued at {burst['sweep_enqueued_at_s']} s waited {burst['sweep_wait_s']} s, saved after "
            f"{burst['sweep_saved_s']} s; peak RSS {burst['peak_rss_mb']} MiB per photo worker"
        )
        summary = {**burst, "single": summary, "load_average": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
