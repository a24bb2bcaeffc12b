"""Live state in Redis: every key expires after end + grace, the due index, and Redis being down."""

import time
from dataclasses import replace

import pytest
from django.test import override_settings
from django.urls import reverse

from attendance import live
from attendance.teaching import service as live_sessions
from conftest import login
from tests.factories import UserFactory
from tests.redis_servers import free_port

from .live_helpers import check_in_as, code, start

DAY = 86400
DEAD_REDIS = "unix:///nonexistent/attn-test-dead-redis.sock"


def assert_expires_after_grace(redis_conn, key, ends_at, grace_days):
    ttl = redis_conn.ttl(key)
    expected = ends_at + grace_days * DAY - time.time()
    assert expected - 2 <= ttl <= expected + 1, (key, ttl, expected)


def check_in(session, student, now, device=""):
    return check_in_as(session, student, now=now, device=device).record


def fill(session, student, clock):
    """Give the session a record, a device, a counted wrong code, a correction, a counted selfie and its face."""
    record = check_in(session, student, clock.now, device="phone-000000000001")
    live.count_wrong_codes([session], "S9999")
    corrected = replace(record, status="late", by_teacher=True)
    assert live.set_record(session, corrected, by=session.teacher_number, now=clock.now, reason="Came late")
    assert live.count_photo_upload(session, "S9999") == "ok"
    assert live.add_face(session.id, "S9999", bytes(512))  # the worker kept the selfie's face encoding


@pytest.mark.parametrize("grace_days", [3, 10])
def test_every_key_of_a_session_expires_at_its_end_plus_the_grace(
    redis_conn, settings, teacher, course, student, clock, grace_days
):
    settings.LIVE_GRACE_DAYS = grace_days
    session = start(teacher, course, now=clock.now, minutes=45)
    fill(session, student, clock)

    layout = live.session_keys(session.id)
    keys = [key for key in layout.expiring if key != layout.links]  # links: only once a QR link is used
    assert all(redis_conn.exists(key) for key in keys)
    for key in [*keys, live.teacher_key(teacher.school_number)]:
        assert_expires_after_grace(redis_conn, key, session.ends_at, grace_days)


def test_only_the_indexes_live_without_a_ttl_after_a_whole_lesson(
    client, redis_conn, settings, teacher, course, student
):
    login(client, teacher)
    data = {"course": course.pk, "duration_minutes": "60", "network_mode": "off", "location_radius_m": "100"}
    data["require_code"] = "on"
    sid = client.post(reverse("attendance:teacher_home"), data).url.split("/")[3]
    session = live.get_session(sid)

    login(client, student)
    wrong = next(c for c in ("000000", "111111") if c != code(session, time.time()))
    client.post(reverse("attendance:student_home"), {"code": wrong})
    client.post(reverse("attendance:student_home"), {"code": code(session, time.time())})
    assert live.get_record(sid, "S1001") is not None

    mine = settings.LIVE_KEY_PREFIX.rsplit(":", 1)[0] + ":*"  # this test's live and cache keys
    without_ttl = {key.decode() for key in redis_conn.scan_iter(match=mine) if redis_conn.ttl(key) == -1}
    assert without_ttl == {live.session_keys(sid).due}


def test_the_due_index_holds_the_session_scored_by_its_end(redis_conn, teacher, clock):
    session = start(teacher, now=clock.now, minutes=30)
    assert redis_conn.type(live.session_keys(session.id).due) == b"zset"
    assert redis_conn.zscore(live.session_keys(session.id).due, session.id) == session.ends_at
    assert len(live.open_sessions(clock.now)) == 1 and live.count_due(clock.now) == 0
    assert live.due_session_ids(session.ends_at) == [session.id]
    assert [s.id for s in live.open_sessions(clock.now)] == [session.id]


def test_finishing_makes_the_session_due_now(redis_conn, teacher, clock):
    session = start(teacher, now=clock.now, minutes=30)
    live_sessions.session_finish(session=session, now=clock.now)

    assert redis_conn.zscore(live.session_keys(session.id).due, session.id) == clock.now
    assert live.due_session_ids(clock.now) == [session.id]
    assert live.open_sessions(clock.now) == []
    stored = live.get_session(session.id)
    assert stored.state == live.FINISHED and stored.ends_at == clock.now
    assert redis_conn.exists(live.teacher_key(teacher.school_number)) == 0
    assert_expires_after_grace(redis_conn, live.session_keys(session.id).meta, session.ends_at, 3)


def test_finishing_a_session_past_its_end_keeps_its_end(redis_conn, teacher, clock):
    session = start(teacher, now=clock.now, started=3600, minutes=30)
    live_sessions.session_finish(session=session, now=clock.now)
    assert redis_conn.zscore(live.session_keys(session.id).due, session.id) == session.ends_at


def test_changing_the_end_moves_the_index_and_every_ttl(redis_conn, teacher, course, student, clock):
    session = start(teacher, course, now=clock.now, minutes=30)
    fill(session, student, clock)
    later = session.ends_at + 45 * 60
    live_sessions.session_change_end(session=session, minutes=45)

    assert redis_conn.zscore(live.session_keys(session.id).due, session.id) == later
    assert live.get_session(session.id).ends_at == later
    layout = live.session_keys(session.id)
    for key in [*(k for k in layout.expiring if k != layout.links), live.teacher_key(teacher.school_number)]:
        assert_expires_after_grace(redis_conn, key, later, 3)

    friend = UserFactory(school_number="S2002")
    assert check_in(live.get_session(session.id), friend, later - 60).status == "late"


def test_an_earlier_end_closes_check_ins_then(redis_conn, teacher, student, clock):
    session = start(teacher, now=clock.now, started=300, minutes=30)
    live_sessions.session_change_end(session=session, minutes=-29)  # 4 minutes ago, after its start
    assert live.due_session_ids(clock.now) == [session.id]
    assert check_in_as(live.get_session(session.id), student, now=clock.now).error == "This session is closed."
    assert live.get_record(session.id, "S1001") is None


def dead(settings, live_only=False):
    caches = {**settings.CACHES, "live": {**settings.CACHES["live"], "LOCATION": DEAD_REDIS}}
    if not live_only:
        caches["default"] = {**settings.CACHES["default"], "LOCATION": DEAD_REDIS}
    # On a cluster: a cluster whose only known node is not there.
    nodes = [f"127.0.0.1:{free_port()}"] if settings.LIVE_REDIS_CLUSTER_NODES else []
    return override_settings(LIVE_REDIS_URL=DEAD_REDIS, CACHES=caches, LIVE_REDIS_CLUSTER_NODES=nodes)


def test_a_teacher_page_says_try_again_when_redis_is_down(teacher_client, teacher, settings, clock):
    session = start(teacher, now=clock.now)
    with dead(settings):
        response = teacher_client.get(reverse("attendance:live", args=[session.id]))
    assert response.status_code == 503
    assert b"Please try again in a few seconds." in response.content
    assert live.get_session(session.id).state == live.OPEN


def test_a_check_in_says_try_again_when_only_the_live_redis_is_down(student_client, teacher, course, settings, clock):
    session = start(teacher, course, now=clock.now)
    with dead(settings, live_only=True):
        response = student_client.post(reverse("attendance:student_home"), {"code": code(session, clock.now)})
        qr = student_client.get(reverse("attendance:qr_link", args=[session.id, code(session, clock.now)]))
    assert response.status_code == 503 and qr.status_code == 503
    assert b"Nothing you sent was recorded." in response.content
    assert live.count_records(session.id) == 0
    retry = student_client.post(reverse("attendance:student_home"), {"code": code(session, clock.now)})
    assert retry.status_code == 302
    assert live.count_records(session.id) == 1


def test_an_anonymous_qr_scan_says_try_again_when_redis_is_down(client, teacher, settings, clock):
    session = start(teacher, now=clock.now)
    with dead(settings):
        response = client.get(reverse("attendance:qr_link", args=[session.id, code(session, clock.now)]))
    assert response.status_code == 503
    assert b"ATTN is briefly unavailable" in response.content


def test_the_teacher_moves_the_end_and_the_due_index_and_ttls_follow(teacher_client, teacher, course, redis_conn):
    from datetime import timedelta as td

    from django.conf import settings as conf
    from django.urls import reverse
    from django.utils import timezone as tz

    now = tz.now()
    started = live_sessions.session_start(
        teacher=teacher,
        course=course,
        lesson_name="L",
        starts_at=now,
        ends_at=now + td(minutes=30),
        late_threshold_minutes=10,
        require_code=True,
        network_mode="off",
        teacher_ip="127.0.0.1",
    ).session
    response = teacher_client.post(reverse("attendance:change_end", args=[started.id]), {"minutes": "15"})
    assert response.status_code == 302
    moved = live.get_session(started.id)
    assert abs(moved.ends_at - (started.ends_at + 15 * 60)) < 1
    assert redis_conn.zscore(live.session_keys(started.id).due, started.id) == moved.ends_at
    assert (
        live.client().ttl(live.session_keys(started.id).meta)
        >= moved.ends_at - now.timestamp() + conf.LIVE_GRACE_DAYS * 86400 - 5
    )
    assert teacher_client.post(reverse("attendance:change_end", args=[started.id]), {"minutes": "x"}).status_code == 400
    assert teacher_client.get(reverse("attendance:change_end", args=[started.id])).status_code == 405


def teacher_in_group(group: int, taken=()) -> str:
    """A teacher's school number whose sessions fall in slot group ``group``."""
    return next(
        number
        for number in (f"TG{n:04d}" for n in range(10_000))
        if live.teacher_group(number) == group and number not in taken
    )


def test_a_session_shares_its_teachers_slot_group(teacher, clock):
    session = start(teacher, now=clock.now)
    group = live.teacher_group(teacher.school_number)
    assert live.session_group(session.id) == group
    keys = live.session_keys(session.id)
    tag = "{" + live.GROUP_TAGS[group] + "}"
    assert all(tag in key for key in (*keys.all, keys.due, keys.dead, live.teacher_key(teacher.school_number)))
    # The groups' tags spread over the 16,384 slots: one in each sixteenth.
    from redis.crc import key_slot

    assert [key_slot(t.encode()) * live.GROUPS // 16384 for t in live.GROUP_TAGS] == list(range(live.GROUPS))


@pytest.mark.parametrize("other_group", ["same", "another"])
def test_a_typed_code_flags_a_phone_used_in_an_open_session_of_any_group(clock, other_group):
    """The one-script check-in on one Redis and the per-slot one on a cluster decide alike."""
    from types import SimpleNamespace

    from attendance.checkin.service import ELSEWHERE, new_record

    first = teacher_in_group(3)
    second = teacher_in_group(3 if other_group == "same" else 11, taken={first})
    sessions = []
    for number in (first, second):
        session = live.LiveSession(
            id=live.new_session_id(number),
            lesson_name="L",
            teacher_number=number,
            teacher_name="T",
            starts_at=clock.now - 60,
            ends_at=clock.now + 3600,
            late_threshold_minutes=10,
        )
        assert live.create_session(session) is None
        sessions.append(session)
    here, there = sessions
    open_ids = [here.id, there.id]

    def type_code(session, number, device):
        record = new_record(
            SimpleNamespace(school_number=number, full_name="S"), status="present", source="code", now=clock.now
        )
        return live.check_in_by_code([live.Candidate(session, record)], number, device, clock.now, open_ids=open_ids)

    chosen, outcome, stored = type_code(there, "S1", "phone-1")
    assert (chosen, outcome, stored.flags) == (there, "ok", [])
    chosen, outcome, stored = type_code(here, "S2", "phone-1")  # the same phone, another room
    assert (chosen, outcome, stored.status) == (here, "ok", "present")
    assert stored.flags == ["device_elsewhere"] and stored.reason == ELSEWHERE
    chosen, outcome, stored = type_code(here, "S3", "phone-1")  # and again in this room: the device rule
    assert (outcome, stored.status) == ("ok", "rejected") and "shared_device" in stored.flags
    chosen, outcome, stored = type_code(there, "S4", "phone-4")  # a phone seen nowhere else: no flag
    assert (outcome, stored.flags) == ("ok", [])


def test_the_end_cannot_move_before_the_start(teacher_client, teacher, clock):
    """ "Move the end" by -100 minutes of a session 5 minutes old: refused with a message, nothing changed."""
    started = start(teacher, now=clock.now, started=300, minutes=60)
    response = teacher_client.post(reverse("attendance:change_end", args=[started.id]), {"minutes": "-100"})
    assert response.status_code == 400
    assert "cannot end before that" in response.content.decode()
    assert live.get_session(started.id).ends_at == started.ends_at
    assert live.get_session(started.id).is_open(clock.now)


def test_switching_language_on_a_page_that_answered_a_post_goes_back_to_the_form(teacher_client, teacher, clock):
    started = start(teacher, now=clock.now)
    live_url = f"http://testserver{reverse('attendance:live', args=[started.id])}"
    end_url = reverse("attendance:change_end", args=[started.id])
    response = teacher_client.post(end_url, {"minutes": "x"}, HTTP_REFERER=live_url)
    assert response.status_code == 400
    assert f'name="next" value="{live_url}"' in response.text and f'value="{end_url}"' not in response.text
    switched = teacher_client.post(reverse("accounts:language"), {"language": "tr", "next": live_url})
    assert switched.status_code == 302 and teacher_client.get(switched["Location"]).status_code == 200
