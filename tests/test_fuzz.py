"""Fuzzing every URL with a parameter and every form field, as every role, with hostile values.

The URLs come from the URLconf and the field names from the forms themselves,
so a new page or field is fuzzed without a hand-kept list.  The answer is never
a 500, and nothing is created that hostile input should not create.

`make test` runs FUZZ_EXAMPLES (default 150) examples; `make fuzz` runs 20,000.
"""

from __future__ import annotations

import inspect
import os
import uuid
from urllib.parse import quote

import pytest
from django import forms as django_forms
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import forms as account_forms
from accounts.models import User
from attendance import forms as shared_forms
from attendance import live
from attendance.checkin import forms as check_in_forms
from attendance.excuses import forms as excuse_forms
from attendance.history import forms as history_forms
from attendance.models import Attendance, AttendanceRecord, Course, RecordChange
from attendance.teaching import forms as teaching_forms
from attendance.tests.live_helpers import start
from attendance.timetables import forms as timetable_forms
from tests.factories import (
    AdminFactory,
    AttendanceFactory,
    CourseFactory,
    EnrollmentFactory,
    RecordFactory,
    TeacherFactory,
    UserFactory,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "-9223372036854775809",
    "9223372036854775808",
    "1" * 400,
    "²",
    "١٢٣٤٥٦",
    "１２３４５６",
    "\x00",
    "abc\x00def",
    "\x0b\x1b[31m",
    "\u202eevil\u202c",
    "x" * 10_000,
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "9999-12-31",
    "0000-00-00",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000g",
    "10.0.0.0/33",
    "::1/129",
    "=1+1",
    "<script>alert(1)</script>",
    "'; DROP TABLE attendance_attendance; --",
    "../../etc/passwd",
    "on",
    "true",
    "present",
    "rejected",
    "%",
    "{}",
    "[]",
]
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str))


def _patterns(resolver=None, prefix=""):
    """Every (route, view) of the project's own apps (Django's admin is Django's to fuzz)."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.pattern.converters


ROUTES = [(route, converters) for route, converters in _patterns() if converters]


def _form_fields() -> list[str]:
    names = set()
    form_modules = (shared_forms, check_in_forms, teaching_forms, history_forms, excuse_forms, timetable_forms)
    for module in (*form_modules, account_forms):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, django_forms.BaseForm) and cls.__module__ == module.__name__:
                names.update(cls.base_fields)
    return sorted(names)


FIELDS = _form_fields()


def _value_for(converter, world):
    kind = type(converter).__name__
    if kind == "UUIDConverter":
        return st.one_of(st.sampled_from(world["uuids"]), st.uuids().map(str))
    if kind == "IntConverter":
        return st.one_of(st.sampled_from(world["ints"]), st.integers(min_value=0, max_value=2**80).map(str))
    return hostile_text.filter(bool).map(lambda value: quote(value, safe=""))


@st.composite
def requests(draw, world):
    route, converters = draw(st.sampled_from(ROUTES))
    path = route
    for name, converter in converters.items():
        value = draw(_value_for(converter, world))
        path = path.replace(f"<{_converter_name(route, name)}:{name}>", value, 1).replace(f"<{name}>", value, 1)
    method = draw(st.sampled_from(["get", "post"]))
    data = draw(st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=8))
    query = draw(
        st.dictionaries(st.sampled_from(["course", "from", "to", "page", "q", "format"]), hostile_text, max_size=3)
    )
    role = draw(st.sampled_from(["anonymous", "student", "teacher", "staff"]))
    return role, method, "/" + path, data, query


def _converter_name(route: str, name: str) -> str:
    start = route.find(f":{name}>")
    return route[route.rfind("<", 0, start) + 1 : start] if start != -1 else ""


@pytest.fixture
def world(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    teacher = TeacherFactory(school_number="T9001")
    student = UserFactory(school_number="S9001")
    staff = AdminFactory(school_number="A9001", is_superuser=True)
    course = CourseFactory(code="FZ101", teachers=[teacher])
    EnrollmentFactory(course=course, student=student)
    session = start(teacher, course)
    persisted = AttendanceFactory(teacher=teacher, course=course)
    record = RecordFactory(attendance=persisted, student=student)
    clients = {"anonymous": Client()}
    for role, user in (("student", student), ("teacher", teacher), ("staff", staff)):
        clients[role] = Client()
        clients[role].force_login(user)
    return {
        "clients": clients,
        "uuids": [session.id, str(persisted.pk), str(uuid.uuid4())],
        "ints": [str(course.pk), str(record.pk), "0"],
        "session": session,
    }


def _counts():
    return {
        "users": User.objects.count(),
        "courses": Course.objects.count(),
        "sessions": Attendance.objects.count(),
        "records": AttendanceRecord.objects.count(),
        "changes": RecordChange.objects.count(),
    }


def test_no_url_and_no_form_answers_500_to_hostile_input(world):
    before = _counts()
    seen: set[int] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=EXAMPLES <= 1000,  # `make test` is repeatable; `make fuzz` explores
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    )
    @given(requests(world))
    def one(request):
        role, method, path, data, query = request
        client = world["clients"][role]
        if method == "get":
            response = client.get(path, {**query, **data})
        else:
            response = client.post(
                path + ("?" + "&".join(f"{k}={quote(v)}" for k, v in query.items()) if query else ""), data
            )
        assert response.status_code < 500, (role, method, path, data, query, response.status_code)
        seen.add(response.status_code)

    one()
    print("statuses seen:", sorted(seen))
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
