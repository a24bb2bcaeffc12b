"""The sweep never waits behind the selfies (issue 30): photos are judged by a django-q2 cluster of their own.

The two clusters run as `make run` and the containers run them, each under its `manage.py
qcluster_watchdog` (the second with --photos), on the tests' database and Redis. A lecture hall's photo
check-ins fill the photo queue with real selfies for the real face model; then a finished session's
sweep is enqueued, as "Finish now" does. It is saved within a few seconds while most of the photos still
wait; before this change it waited behind all of them (the main cluster judged photos). Then every
photo gets its verdict, and stopping the watchdogs stops every process of both clusters.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings as django_settings
from django_q.brokers import get_broker
from django_q.status import Stat

from attendance import live
from attendance.checkin.service import Visitor, record_check_in
from attendance.models import Attendance, ReferencePhoto, Status
from attendance.photos import faces, images
from attendance.teaching import service as live_sessions
from attendance.tests.live_helpers import FAST_HASHERS, TEACHER_IP, start
from attendance.tests.photo_helpers import astronaut_jpeg, same_person_variants, someone_else_jpeg
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.test_cluster_stall import database_url_for_tests, until

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = 160  # about 10 s of work for two workers on this machine: far more than the sweep may wait
SWEEP_BOUND = 5  # seconds from "Finish now" to the saved session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faces]


@pytest.fixture
def clusters(settings, tmp_path, task_queue, photo_queue):
    """The main cluster and the photo cluster, each under its watchdog, as `make run` starts them."""
    settings.PASSWORD_HASHERS = FAST_HASHERS  # the lecture hall's students are made here
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # the test's photos
        "Q_WORKERS": "2",
        "PHOTO_WORKERS": "2",
        "WATCHDOG_CHECK_SECONDS": "1",
    }
    procs = []
    for which in ([], ["--photos"]):
        log = tmp_path / f"watchdog{'-'.join(['', *which])}.log"
        with log.open("w") as out:
            command = [sys.executable, "manage.py", "qcluster_watchdog", *which]
            proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        proc.log = log
        procs.append(proc)
    try:
        until(lambda: len(running_clusters(procs)) == 2, 60, "both clusters did not start")
        yield procs
    finally:
        trees = [psutil.Process(p.pid).children(recursive=True) if p.poll() is None else [] for p in procs]
        for proc in procs:
            proc.terminate()  # as make run's Ctrl-C and docker stop do: each watchdog stops its cluster
        try:
            for proc in procs:
                assert proc.wait(30) == 0, proc.log.read_text()[-3000:]
            left = [p for tree in trees for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
            assert left == [], [p.cmdline() for p in left]
        finally:
            for pid in [p.pid for p in procs] + [p.pid for tree in trees for p in tree]:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def running_clusters(procs) -> list[Stat]:
    children = {c.pid for p in procs for c in psutil.Process(p.pid).children()}
    return [s for s in Stat.get_all() if s.pid in children and len(s.workers) == 2]


def lecture_hall(teacher, size: int):
    """A photo-check session with ``size`` students checked in with a selfie each, pending, their photos
    queued; each student has a reference (the astronaut's encoding, computed once)."""
    course = CourseFactory(teachers=[teacher], code="PH500")
    session = start(teacher, course, photo_check=True)
    reference = list(faces.encode(astronaut_jpeg()).encoding)
    selfies = [images.clean(p) for p in [astronaut_jpeg(), *same_person_variants().values(), someone_else_jpeg()]]
    for n in range(size):
        student = UserFactory(school_number=f"P{n:04d}", full_name=f"Student {n}")
        EnrollmentFactory(course=course, student=student)
        image = images.save("references", student.school_number, selfies[0])
        ReferencePhoto.objects.create(student=student, image=image, encoding=reference, state="ready")
        visitor = Visitor(student=student, ip=TEACHER_IP, device="", photo=selfies[n % len(selfies)])
        outcome = record_check_in(session=session, visitor=visitor, source="code", now=time.time())
        assert outcome.record.status == Status.PENDING
    return session


def test_a_finished_sessions_sweep_does_not_wait_behind_a_lecture_halls_selfies(
    clusters, teacher, other_teacher, student
):
    photos = lecture_hall(teacher, PHOTOS)
    photo_queue = get_broker(django_settings.PHOTO_CLUSTER)

    course = CourseFactory(teachers=[other_teacher], code="CS500")
    EnrollmentFactory(course=course, student=student)
    other = start(other_teacher, course)
    record_check_in(
        session=other, visitor=Visitor(student=student, ip=TEACHER_IP, device=""), source="code", now=time.time()
    )
    finished = time.monotonic()
    live_sessions.session_finish(session=other)  # the sweep task goes on the main queue
    until(lambda: Attendance.objects.filter(id=other.id).exists(), 30, "the finished session was not swept", 0.05)
    waited = time.monotonic() - finished
    still_waiting = photo_queue.queue_size()

    print(f"\nswept {waited:.2f} s after 'Finish now'; {still_waiting} of {PHOTOS} photos still queued")
    assert waited < SWEEP_BOUND
    assert still_waiting > PHOTOS / 3, "the photos were mostly judged already: the test proves nothing"

    def judged():
        records = live.get_records(photos.id).values()
        return all(r.status != Status.PENDING for r in records) and list(records)

    records = until(judged, 120, "the photo cluster did not judge every selfie", 1)
    assert {r.photo_result for r in records} == {"match", "mismatch"}
