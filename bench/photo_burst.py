"""The photo burst (issue 30): 500 pending photo check-ins judged by the dev stack's own worker configuration.

Called by bench/photos.py (`make bench-photos`; BENCH_ARGS="--burst 500", 0 to skip). On the stack's own
PostgreSQL and Redis (migrated here), the two clusters start as `make run` starts them: `manage.py
qcluster_watchdog` and `manage.py qcluster_watchdog --photos`, with the environment's Q_WORKERS,
PHOTO_WORKERS and PHOTO_NICE (their defaults unless set; PHOTO_WORKERS=0 measures the layout before issue 30,
the main cluster judging the photos). Each photo worker judges a few warm-up selfies
first (it loads the face model once, as a worker does on its first photo of the day).

The burst: every student has a reference photo (the encoding of a real photograph, computed once here) and
checks in with a real selfie through the check-in service (stored, pending, its task queued). The clock
starts at the first enqueue and stops at the last verdict. When half the verdicts are in, a finished
500-student session is handed to the sweep ("Finish now"): how long its task waited for a worker
(``sweep_wait_s``, to the SweepRun's start) and until it was saved. Per verification (p50/p95) and its
face share: the photo workers' own timing lines (LOG_LEVEL=DEBUG, `verify.verify_check_in`). Peak RSS:
each photo-cluster process sampled every 0.2 s.

The real photographs are two people (scikit-image's astronaut and face-api's sample2, each in six
shots: crop, scale, light, compression). 500 selfies of two faces in one session would be 500 alarms
of "one face on two accounts" (each flags every other record: an attack, not a lecture), so the burst
is 250 photo sessions of two students each, one face of each person; the judging is the same.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 6  # selfies judged before the burst: each photo worker loads the model once


def selfies():
    """(reference encoding, selfies) of each of the two people, the selfies cleaned as the upload is."""
    from PIL import ImageEnhance

    from attendance.photos import faces, images
    from attendance.tests.photo_helpers import _packaged, astronaut, jpeg, same_person_variants

    other = _packaged("sample2.jpg")
    other.thumbnail((1024, 1024))
    shots = {
        "astronaut": [jpeg(astronaut().resize((640, 640)), quality=85), *same_person_variants().values()],
        "sample2": [
            jpeg(other, quality=85),
            jpeg(other.crop((other.width // 6, other.height // 6, other.width * 5 // 6, other.height * 5 // 6))),
            jpeg(other.resize((other.width // 2, other.height // 2))),
            jpeg(ImageEnhance.Brightness(other).enhance(1.4)),
            jpeg(ImageEnhance.Brightness(other).enhance(0.7)),
            jpeg(other, quality=15),
        ],
    }
    found = {}
    for person, photos in shots.items():
        reference = faces.encode(photos[0])
        assert reference.found == faces.ONE, person
        found[person] = (list(reference.encoding), [images.clean(p) for p in photos])
    return found


def make_people(prefix: str, count: int, role: str):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    users = [User(school_number=f"{prefix}{n:04d}", full_name=f"{prefix} {n}", role=role) for n in range(count)]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    return list(User.objects.filter(school_number__startswith=prefix).order_by("school_number"))


def open_session(teacher, students, code: str, *, photo_check: bool):
    from attendance.models import Course, Enrollment
    from attendance.teaching import service as live_sessions

    course = Course.objects.create(code=code, title=code, late_threshold_minutes=10)
    course.teachers.add(teacher)
    Enrollment.objects.bulk_create([Enrollment(course=course, student=s) for s in students])
    now = datetime.now(UTC)
    return live_sessions.session_start(
        teacher=teacher,
        course=course,
        lesson_name="Burst",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(minutes=89),
        late_threshold_minutes=10,
        require_code=True,
        network_mode="off",
        teacher_ip="10.0.0.1",
        photo_check=photo_check,
    ).session


def check_in(session, student, photo=None):
    from attendance.checkin.service import Visitor, record_check_in

    visitor = Visitor(student=student, ip="10.0.0.1", device="", photo=photo)
    return record_check_in(session=session, visitor=visitor, source="code", now=time.time())


def enrol_references(people: dict, students_of: dict) -> None:
    from attendance.models import ReferencePhoto
    from attendance.photos import images

    rows = []
    for person, students in students_of.items():
        encoding, shots = people[person]
        image = images.save("references", person, shots[0])
        rows += [ReferencePhoto(student=s, image=image, encoding=encoding, state="ready") for s in students]
    ReferencePhoto.objects.bulk_create(rows)


class Clusters:
    """The two watchdogs (and so both clusters) as `make run` starts them, their output in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.main = self._start([], {**env, "LOG_LEVEL": "DEBUG"}, "main.log")  # photos too with PHOTO_WORKERS=0
        self.photos = self._start(["--photos"], {**env, "LOG_LEVEL": "DEBUG"}, "photos.log")

    def _start(self, which, env, name):
        with (self.folder / name).open("w") as out:
            command = [sys.executable, "manage.py", "qcluster_watchdog", *which]
            return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def photo_processes(self) -> list[psutil.Process]:
        from django.conf import settings

        judge = self.photos if settings.PHOTO_WORKERS else self.main  # PHOTO_WORKERS=0: the main cluster
        return psutil.Process(judge.pid).children(recursive=True)

    def stop(self) -> None:
        for proc in (self.main, self.photos):
            proc.terminate()
        for proc in (self.main, self.photos):
            proc.wait(30)

    def timings(self) -> list[tuple[float, float]]:
        """(ms per verification, ms of it reading the face) from the photo workers' lines."""
        found = []
        lines = [line for log in ("main.log", "photos.log") for line in (self.folder / log).read_text().splitlines()]
        for line in lines:
            if "Photo judged in" in line:
                words = line.split("Photo judged in ")[1].split()
                found.append((float(words[0]), float(words[4])))
        return found


def until(condition, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(every)
    raise RuntimeError(f"{what} within {timeout} s")


def judged(sessions) -> int:
    from attendance import live

    records = live.get_records_of([s.id for s in sessions])
    return sum(r.status != "pending" for rs in records.values() for r in rs.values())


class RssSampler(threading.Thread):
    def __init__(self, clusters: Clusters):
        super().__init__(daemon=True)
        self.clusters, self.peak, self.total_peak, self.stopping = clusters, 0, 0, threading.Event()

    def run(self):
        while not self.stopping.wait(0.2):
            sizes = []
            for process in self.clusters.photo_processes():
                try:
                    sizes.append(process.memory_info().rss)
                except psutil.NoSuchProcess:
                    continue
            self.peak, self.total_peak = max([self.peak, *sizes]), max(self.total_peak, sum(sizes))


def run(students: int) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django_q.status import Stat

    from attendance.models import Attendance, SweepRun
    from attendance.teaching import service as live_sessions

    call_command("migrate", verbosity=0)
    people = selfies()
    pairs = students // 2
    kids = make_people("B", 2 * pairs, "student")
    teachers = make_people("BT", pairs + 2, "teacher")
    enrol_references(people, {"astronaut": kids[0::2], "sample2": kids[1::2]})
    sessions = [
        open_session(teachers[i], kids[2 * i : 2 * i + 2], f"PH{i:03d}", photo_check=True) for i in range(pairs)
    ]
    hall = make_people("H", students, "student")
    finished = open_session(teachers[-1], hall, "CS500", photo_check=False)
    for student in hall:
        check_in(finished, student)
    warm = make_people("W", WARM_UP, "student")
    enrol_references(people, {"astronaut": warm})
    warm_session = open_session(teachers[-2], warm, "WARM", photo_check=True)

    folder = Path(tempfile.mkdtemp(prefix="attn-burst-"))
    clusters = Clusters(folder)
    sampler = RssSampler(clusters)
    try:
        clusters_up = 2 if settings.PHOTO_WORKERS else 1  # PHOTO_WORKERS=0: the main cluster judges photos
        until(lambda: len([s for s in Stat.get_all() if s.workers]) >= clusters_up, 60, "the clusters did not start")
        for n, student in enumerate(warm):
            check_in(warm_session, student, people["astronaut"][1][n % 6])
        until(lambda: judged([warm_session]) == WARM_UP, 120, "the warm-up selfies were not judged")
        warm_timings = len(clusters.timings())
        sampler.start()

        began = time.time()
        for i, session in enumerate(sessions):
            check_in(session, kids[2 * i], people["astronaut"][1][i % 6])
            check_in(session, kids[2 * i + 1], people["sample2"][1][i % 6])
        enqueued = time.time() - began
        until(lambda: judged(sessions) >= students // 2, 300, "half the verdicts did not land", 0.1)
        finish_at = time.time()
        live_sessions.session_finish(session=finished)
        last = saved = None
        deadline, polls = time.monotonic() + 600, 0
        while (last is None or saved is None) and time.monotonic() < deadline:
            if saved is None and Attendance.objects.filter(id=finished.id).exists():
                saved = time.time()
            if last is None and polls % 5 == 0 and judged(sessions) == 2 * pairs:  # 500 records read: not too often
                last = time.time()
            polls += 1
            time.sleep(0.05)
        if last is None or saved is None:
            raise RuntimeError("the burst was not judged, or the finished session not saved, within 600 s")
        sampler.stopping.set()
        after = datetime.fromtimestamp(finish_at, UTC)
        run_row = SweepRun.objects.filter(started_at__gte=after, sessions_processed__gt=0).order_by("started_at")[0]
        sweep_wait = run_row.started_at.timestamp() - finish_at
        results = {r.photo_result for rs in _records(sessions) for r in rs}
    finally:
        sampler.stopping.set()
        clusters.stop()
    timings = sorted(clusters.timings()[warm_timings:])
    total = [t for t, _ in timings]
    face = [f for _, f in timings]
    burst = last - began
    return {
        "students": 2 * pairs,
        "photo_workers": settings.PHOTO_WORKERS,
        "main_workers": settings.Q_CLUSTER["workers"],
        "enqueue_s": round(enqueued, 2),
        "burst_s": round(burst, 2),
        "verdicts_per_s": round(2 * pairs / burst, 1),
        "sweep_wait_s": round(sweep_wait, 2),
        "sweep_saved_s": round(saved - finish_at, 2),
        "sweep_enqueued_at_s": round(finish_at - began, 2),
        "p50_ms": round(statistics.median(total), 1),
        "p95_ms": round(total[int(0.95 * (len(total) - 1))], 1),
        "face_p50_ms": round(statistics.median(face), 1),
        "timed": len(total),
        "results": sorted(results),
        "peak_rss_mb": round(sampler.peak / 2**20, 1),
        "photo_cluster_peak_rss_mb": round(sampler.total_peak / 2**20, 1),
    }


def _records(sessions):
    from attendance import live

    return [list(rs.values()) for rs in live.get_records_of([s.id for s in sessions]).values()]
