"""Upgrading: sessions the previous version left in Redis (one due index, keys tagged by the session id)
move into their slot groups with `manage.py adopt_live_layout`, and nothing in them is lost."""

import json
import time
import uuid
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from attendance import live, sweep
from attendance.models import Status
from conftest import login

from .sweep_helpers import live_record, record_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("single_sweep_thread")]


def store_as_before(conn, *, teacher_number: str, ends_at: float, records: list[dict], state=live.OPEN) -> str:
    """Write a session exactly as the version before slot groups did (its create_session and check-in)."""
    sid = str(uuid.uuid4())
    old = settings.LIVE_KEY_PREFIX
    data = {
        "id": sid,
        "lesson_name": "Before the upgrade",
        "teacher_number": teacher_number,
        "teacher_name": "Tom Before",
        "starts_at": ends_at - 3600,
        "ends_at": ends_at,
        "late_threshold_minutes": 10,
        "secret": "0" * 32,
    }
    expires = int(ends_at) + settings.LIVE_GRACE_DAYS * 86400
    with conn.pipeline(transaction=False) as pipe:
        pipe.set(f"{old}:teacher:{teacher_number}", sid, exat=expires)
        pipe.hset(f"{old}:{{{sid}}}:meta", mapping={"data": json.dumps(data), "state": state, "ends": repr(ends_at)})
        pipe.expireat(f"{old}:{{{sid}}}:meta", expires)
        pipe.zadd(f"{old}:due", {sid: ends_at})
        if records:
            pipe.hset(f"{old}:{{{sid}}}:records", mapping={r.school_number: r.to_json() for r in records})
            pipe.expireat(f"{old}:{{{sid}}}:records", expires)
        pipe.execute()
    return sid


def adopt() -> str:
    out = StringIO()
    call_command("adopt_live_layout", stdout=out)
    return out.getvalue()


def test_an_open_session_moves_with_its_records_pointer_and_ttls_and_is_swept_once(redis_conn):
    now = time.time()
    records = [live_record("S4001"), live_record("S4002", status=Status.LATE)]
    sid = store_as_before(redis_conn, teacher_number="T4000", ends_at=now + 1800, records=records)
    old_ttl = redis_conn.ttl(f"{settings.LIVE_KEY_PREFIX}:{{{sid}}}:records")
    assert live.get_session(sid) is None and live.previous_layout_count() == 1  # the new layout does not see it

    assert adopt().startswith("1 sessions moved") and live.previous_layout_count() == 0

    session = live.get_session(sid)
    assert session.lesson_name == "Before the upgrade" and session.state == live.OPEN
    assert live.teacher_open_session_id("T4000") == sid
    assert set(live.get_records(sid)) == {"S4001", "S4002"}
    assert abs(redis_conn.ttl(live.session_keys(sid).records) - old_ttl) <= 2
    assert [s.id for s in live.open_sessions(now)] == [sid]
    old_keys = [f"{settings.LIVE_KEY_PREFIX}:{{{sid}}}:{part}" for part in ("meta", "records")]
    assert not redis_conn.exists(*old_keys, f"{settings.LIVE_KEY_PREFIX}:teacher:T4000")
    assert adopt() == ""  # again: nothing, and nothing said (`make run` runs it at every start)

    assert live.finish(session, now)  # the teacher finishes it with the new version
    assert live.teacher_open_session_id("T4000") is None
    result = sweep.run()
    assert (result.processed, result.failed) == (1, 0)
    assert record_of(sid, "S4002").status == Status.LATE and record_of(sid, "S4001").status == Status.PRESENT


def test_dead_letters_and_finished_sessions_move_too(redis_conn, client, staff):
    now = time.time()
    finished = store_as_before(redis_conn, teacher_number="T4100", ends_at=now - 60, records=[], state=live.FINISHED)
    dead_sid = str(uuid.uuid4())
    redis_conn.hset(
        f"{settings.LIVE_KEY_PREFIX}:dead", dead_sid, json.dumps({"meta": {}, "records": {}, "error": "boom"})
    )
    login(client, staff)
    page = client.get(reverse("adminpanel:operations")).content.decode()
    assert "2 sessions are stored as the previous version stored them" in page

    assert adopt().startswith("2 sessions moved")

    assert live.due_session_ids(now) == [finished] and set(live.dead_letters()) == {dead_sid}
    assert "previous version" not in client.get(reverse("adminpanel:operations")).content.decode()


def test_a_hybrid_session_stored_before_the_field_took_the_models_name_still_admits_remote_students():
    """Live metas written before `remote` became `admits_remote` (a deploy during a class) read the same."""
    data = {"id": str(uuid.uuid4()), "lesson_name": "Hybrid", "teacher_number": "T1", "teacher_name": "T"}
    data |= {"starts_at": 0.0, "ends_at": 60.0, "late_threshold_minutes": 0, "remote": True}
    session = live.LiveSession.from_redis({b"data": json.dumps(data).encode(), b"state": b"open", b"ends": b"60"})
    assert session.admits_remote is True
    assert "remote" not in json.loads(session.to_data())
