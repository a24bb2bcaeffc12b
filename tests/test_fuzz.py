"""Fuzzing every URL with a parameter and every form field, as every role, with hostile values.

The URLs come from the URLconf, the field names from the forms themselves, and the links and forms
from a crawl of every page each role can open (tests/fuzz_crawl.py), so a new page or field is fuzzed
without a hand-kept list.  Four kinds of request (tests/fuzz_requests.py): any URL with valid or hostile
parameters; a link a page shows with a hostile path segment or query value (NUL, text that is not
ASCII); a form a page shows, filled in validly and then given hostile values by the input's type (dates
at the calendar's end); the verifier's webhook with hostile signature headers.  The answer is never a
500, and nothing is created that hostile input should not create.

`make test` runs FUZZ_EXAMPLES (default 150) examples; `make fuzz` runs 20,000.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import time
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import resolve
from hypothesis import HealthCheck, given, settings

from accounts.models import User
from attendance import live
from attendance.checkin import proofs
from attendance.models import Attendance, AttendanceRecord, Course, ExcuseRequest, RecordChange
from attendance.tests.live_helpers import start
from tests.factories import (
    AdminFactory,
    AttendanceFactory,
    CourseFactory,
    EnrollmentFactory,
    RecordFactory,
    TeacherFactory,
    UserFactory,
)
from tests.fuzz_crawl import crawl
from tests.fuzz_requests import KINDS, QUERY_KEYS, SEEDS, Request, by_view, requests

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))


@pytest.fixture
def world(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PHOTO_VERIFIER_SECRET = "fuzz-verifier-secret"
    teacher = TeacherFactory(school_number="T9001")
    student = UserFactory(school_number="S9001")
    staff = AdminFactory(school_number="A9001", is_superuser=True)
    course = CourseFactory(code="FZ101", teachers=[teacher])
    EnrollmentFactory(course=course, student=student)
    session = start(teacher, course, admits_remote=True)  # a hybrid session: its remote link is live too
    persisted = AttendanceFactory(teacher=teacher, course=course)
    record = RecordFactory(attendance=persisted, student=student)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)  # pending: its teacher's page offers a decision
    ExcuseRequest.objects.create(student=student, course=course, first_day=tomorrow, last_day=tomorrow, reason="Ill")
    clients = {"anonymous": Client()}
    for role, user in (("student", student), ("teacher", teacher), ("staff", staff)):
        clients[role] = Client()
        clients[role].force_login(user)
    links, forms = crawl(clients, SEEDS)
    return {
        "clients": clients,
        "uuids": [session.id, str(persisted.pk), str(uuid.uuid4())],
        "ints": [str(course.pk), str(record.pk), "0"],
        "texts": ["S9001", "reject", "accept", proofs.remote_token(session.secret), "123456"],
        "links": links,
        "site_links": by_view(link for link in links if not link.path.startswith("/admin/")),
        "admin_links": by_view(link for link in links if link.path.startswith("/admin/")),
        "forms": forms,
        "query_keys": sorted(set(QUERY_KEYS) | {k for link in links for k, _ in link.query}),
        "session": session,
        "first_session": session,
        "reopened": 0,
        "teacher": teacher,
        "course": course,
    }


def _counts():
    return {
        "users": User.objects.count(),
        "courses": Course.objects.count(),
        "sessions": Attendance.objects.count(),
        "records": AttendanceRecord.objects.count(),
        "changes": RecordChange.objects.count(),
    }


def _keep_a_session_open(world) -> None:
    """Hostile input may end the world's session for good (Finish, its end moved back): open another, to which
    _send takes what was meant for the first, so the live pages stay in reach for the whole run."""
    session = live.get_session(world["session"].id)
    if session is None or session.state != live.OPEN or session.ends_at <= time.time():
        world["session"] = start(world["teacher"], world["course"], admits_remote=True)
        world["reopened"] += 1


def _send(world, request: Request):
    _keep_a_session_open(world)
    client = world["clients"][request.role]
    path = request.path.replace(world["first_session"].id, world["session"].id)
    request = dataclasses.replace(request, path=path)
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in request.headers.items()}
    if request.body is not None:
        return client.post(request.path, request.body, content_type="application/json", **headers)
    if request.method == "get":
        return client.get(request.path, {**request.query, **request.data}, **headers)
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in request.query.items())
    return client.post(request.path + ("?" + query if query else ""), request.data, **headers)


def test_no_url_and_no_form_answers_500_to_hostile_input(world):
    # The crawl reached the pages behind the parameters: a live session, its remote link, the admin's filters.
    views = {resolve(link.path).view_name for link in world["links"]}
    assert {"attendance:live", "attendance:remote", "admin:accounts_user_changelist"} <= views, views
    actions = {resolve(form.action.partition("?")[0]).view_name for form in world["forms"]}
    wanted = {"my_excuses", "excuse_decide", "slot_add", "record_action"}
    assert {f"attendance:{name}" for name in wanted} <= actions, actions
    before = _counts()
    seen: set[int] = set()
    runs: list[int] = []
    made = dict.fromkeys(KINDS, 0)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=EXAMPLES <= 1000,  # `make test` is repeatable; `make fuzz` explores
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    )
    @given(requests(world))
    def one(request):
        response = _send(world, request)
        assert response.status_code < 500, (request, response.status_code)
        seen.add(response.status_code)
        runs.append(response.status_code)
        made.update({kind: made[kind] + 1 for kind, test in KINDS.items() if test(request)})

    one()
    crawled = {"links": len(world["links"]), "views linked to": len(world["site_links"]) + len(world["admin_links"])}
    crawled["forms"] = len(world["forms"])
    print(f"{len(runs)} examples run from {crawled}; statuses seen:", sorted(seen))
    print(f"the live session was ended and opened again {world['reopened']} times")
    print("examples of the kinds issue 26 found:", made)
    if EXAMPLES >= 10_000:
        assert all(made.values()), f"the fuzz no longer makes some kinds of request: {made}"
    assert seen - {404}, "every request missed its view: the fuzzer is not reaching the pages"
    after = _counts()
    # Hostile input may make a few legitimate changes (a teacher's correction with a junk reason is still a
    # correction), but never users, courses or sessions out of nothing.
    assert {k: after[k] for k in ("users", "courses", "sessions")} == {
        k: before[k] for k in ("users", "courses", "sessions")
    }
    conn = live.client()
    indexes = set(live.due_keys())
    stray = [
        key
        for key in conn.scan_iter(match=f"{django_settings.LIVE_KEY_PREFIX}:*")
        if conn.ttl(key) == -1 and key.decode() not in indexes
    ]
    assert not stray, stray
