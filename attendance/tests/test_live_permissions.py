"""Who may open which live page: every live URL against every role, method and CSRF."""

import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.core import signing
from django.test import Client
from django.urls import URLPattern, reverse

from attendance import live, urls
from attendance.checkin.service import LINK_SALT
from conftest import login
from tests.factories import TeacherFactory

from .live_helpers import check_in_as, code, freeze, start

LOGIN = reverse("accounts:login")


@dataclass(frozen=True)
class Spec:
    name: str
    methods: tuple[str, ...]
    side: str  # "teacher", "student" or "public"
    args: str = "sid"  # which arguments the URL takes, see url_of()

    @property
    def post_only(self) -> bool:
        return self.methods == ("post",)

    @property
    def takes_session(self) -> bool:
        return self.args != ""

    def __str__(self):
        return self.name


SPECS = [
    Spec("teacher_home", ("get", "post"), "teacher", ""),
    Spec("live", ("get",), "teacher"),
    Spec("live_roster", ("get",), "teacher"),
    Spec("projector", ("get",), "teacher"),
    Spec("projector_code", ("get",), "teacher"),
    Spec("add_student", ("post",), "teacher"),
    Spec("spot_check", ("post",), "teacher"),
    Spec("live_bulk", ("post",), "teacher"),
    Spec("record_action", ("post",), "teacher", "sid number action"),
    Spec("finish", ("post",), "teacher"),
    Spec("change_end", ("post",), "teacher"),
    Spec("finished", ("get",), "teacher"),
    Spec("student_home", ("get", "post"), "student", ""),
    Spec("qr_link", ("get",), "public", "sid code"),
    Spec("tap", ("get",), "student", "tap_sid"),
    Spec("confirm", ("get", "post"), "student", "sid token"),
    Spec("result", ("get",), "student"),
]
TEACHER_SPECS = [s for s in SPECS if s.side == "teacher"]
STUDENT_SPECS = [s for s in SPECS if s.side == "student"]
SESSION_SPECS = [s for s in SPECS if s.takes_session]
LIVE_PREFIXES = ("teach/live/", "checkin/", "c/")


@pytest.fixture
def world(teacher, course, student):
    """A code session with the student checked in, and a no-code session of a third teacher."""
    clock = freeze()
    session = start(teacher, course, now=clock.now, lesson_name="<b>Loops</b> & <script>alert(1)</script>")
    tapped = start(TeacherFactory(school_number="T1003"), course, now=clock.now, require_code=False)
    check_in_as(session, student, now=clock.now)
    return SimpleNamespace(clock=clock, session=session, tapped=tapped, student=student)


def url_of(spec: Spec, world, sid: str | None = None) -> str:
    sid = sid or world.session.id
    values = {
        "sid": sid,
        "tap_sid": sid if sid != world.session.id else world.tapped.id,
        "number": "S1001",
        "action": "accept",
        "code": code(world.session, world.clock.now),
        "token": signing.dumps(
            {"sid": sid, "src": "tap", "at": int(world.clock.now), "u": world.student.pk}, salt=LINK_SALT, compress=True
        ),
    }
    return reverse(f"attendance:{spec.name}", args=[values[part] for part in spec.args.split()])


def data_for(spec: Spec, world) -> dict:
    return {
        "teacher_home": {
            "lesson_name": "L",
            "duration_minutes": "60",
            "network_mode": "off",
            "location_radius_m": "100",
        },
        "add_student": {"school_number": "S1001"},
        "change_end": {"minutes": "10"},
        "spot_check": {"size": "5"},
        "live_bulk": {"numbers": ["S1001"], "action": "accept", "reason": "Seen"},
        "student_home": {"code": code(world.session, world.clock.now)},
        "confirm": {"latitude": "", "longitude": ""},
    }.get(spec.name, {})


def call(client, spec, world, method=None, sid=None, **extra):
    method = method or spec.methods[0]
    return getattr(client, method)(url_of(spec, world, sid), data_for(spec, world) if method == "post" else {}, **extra)


def test_the_matrix_covers_every_live_url():
    live_names = {
        p.name
        for p in urls.urlpatterns
        if isinstance(p, URLPattern) and (str(p.pattern).startswith(LIVE_PREFIXES) or str(p.pattern) == "teach/")
    }
    assert live_names == {spec.name for spec in SPECS}


@pytest.mark.parametrize("spec", [s for s in SPECS if s.side != "public"], ids=str)
def test_anonymous_users_are_sent_to_the_login(client, world, spec):
    for method in spec.methods:
        response = call(client, spec, world, method)
        assert response.status_code == 302, method
        assert response.url.startswith(f"{LOGIN}?next=")
    assert live.get_session(world.session.id).state == live.OPEN


def test_the_qr_link_validates_the_code_before_the_login(client, world):
    qr = next(s for s in SPECS if s.name == "qr_link")
    response = call(client, qr, world)
    assert response.status_code == 302 and response.url.startswith(f"/checkin/{world.session.id}/go/")
    bad = reverse("attendance:qr_link", args=[world.session.id, "000000x"])
    assert client.get(bad).status_code == 400
    assert call(client, qr, world, sid=str(uuid.uuid4())).status_code == 404


@pytest.mark.parametrize("spec", TEACHER_SPECS, ids=str)
def test_students_may_not_open_teacher_pages(student_client, world, spec):
    for method in spec.methods:
        assert call(student_client, spec, world, method).status_code == 403, method
    assert live.get_session(world.session.id).state == live.OPEN
    assert not live.get_record(world.session.id, "S1001").by_teacher


@pytest.mark.parametrize("spec", STUDENT_SPECS, ids=str)
def test_teachers_may_not_open_student_pages(teacher_client, world, spec):
    for method in spec.methods:
        assert call(teacher_client, spec, world, method).status_code == 403, method


@pytest.mark.parametrize("spec", [s for s in TEACHER_SPECS if s.takes_session], ids=str)
def test_other_teachers_get_404_on_someone_elses_session(client, other_teacher, world, spec):
    login(client, other_teacher)
    for method in spec.methods:
        assert call(client, spec, world, method).status_code == 404, method
    assert live.get_session(world.session.id).state == live.OPEN
    assert not live.get_record(world.session.id, "S1001").by_teacher


@pytest.mark.parametrize("spec", TEACHER_SPECS, ids=str)
def test_staff_may_open_every_teacher_page(client, staff, world, spec):
    login(client, staff)
    for method in spec.methods:
        assert call(client, spec, world, method).status_code == (302 if method == "post" else 200), method


@pytest.mark.parametrize("spec", TEACHER_SPECS, ids=str)
def test_the_owner_may_open_every_teacher_page(teacher_client, world, spec):
    for method in spec.methods:
        assert call(teacher_client, spec, world, method).status_code == (302 if method == "post" else 200), method


@pytest.mark.parametrize("spec", STUDENT_SPECS + [s for s in SPECS if s.side == "public"], ids=str)
def test_the_student_may_open_every_student_page(student_client, world, spec):
    for method in spec.methods:
        expected = 200 if method == "get" and spec.name in ("student_home", "confirm", "result") else 302
        assert call(student_client, spec, world, method).status_code == expected, method


@pytest.mark.parametrize("spec", SESSION_SPECS, ids=str)
def test_an_unknown_session_is_not_found(client, teacher, student, world, spec):
    login(client, student if spec.side != "teacher" else teacher)
    for method in spec.methods:
        assert call(client, spec, world, method, sid=str(uuid.uuid4())).status_code == 404, method


@pytest.mark.parametrize("spec", SESSION_SPECS, ids=str)
def test_a_malformed_session_id_is_not_found(client, teacher, student, world, spec):
    login(client, student if spec.side != "teacher" else teacher)
    sid = world.session.id if spec.args != "tap_sid" else world.tapped.id
    path = url_of(spec, world).replace(sid, "not-a-session")
    for method in spec.methods:
        assert getattr(client, method)(path).status_code == 404, method


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_a_wrong_method_is_refused(client, teacher, student, world, spec):
    login(client, student if spec.side != "teacher" else teacher)
    wrong = ["get"] if spec.post_only else ["put", "delete"] if "post" in spec.methods else ["post", "put"]
    for method in wrong:
        assert getattr(client, method)(url_of(spec, world)).status_code == 405, method
    assert live.get_session(world.session.id).state == live.OPEN


@pytest.mark.parametrize("spec", [s for s in SPECS if "post" in s.methods], ids=str)
def test_a_post_without_a_csrf_token_is_refused(teacher, student, world, spec):
    client = login(Client(enforce_csrf_checks=True), student if spec.side != "teacher" else teacher)
    before = live.get_records(world.session.id)
    response = call(client, spec, world, "post")
    assert response.status_code == 403
    assert 'id="csrf-failure"' in response.content.decode()  # our page, in the reader's language
    assert live.get_records(world.session.id) == before
    assert live.get_session(world.session.id).state == live.OPEN
    assert live.teacher_open_session_id("T1001") == world.session.id


def test_typed_text_is_escaped_on_the_teacher_pages(teacher_client, world):
    session = world.session
    teacher_client.post(
        reverse("attendance:add_student", args=[session.id]),
        {"school_number": "X<i>1</i>&", "full_name": "<img src=x onerror=alert(2)>", "add_anyway": "on"},
    )
    teacher_client.post(
        reverse("attendance:record_action", args=[session.id, "S1001", "reject"]), {"reason": "<u>copied</u>"}
    )
    pages = [
        teacher_client.get(reverse(f"attendance:{name}", args=[session.id])).content.decode()
        for name in ("live", "live_roster", "projector", "projector_code", "finished")
    ]
    for page in pages:
        assert "<script>alert(1)</script>" not in page and "<b>Loops</b>" not in page
    assert all("&lt;b&gt;Loops&lt;/b&gt;" in page for page in pages[:1] + pages[2:])
    assert "&lt;img src=x onerror=alert(2)&gt;" in pages[0] and "<img src=x" not in pages[0]
    assert "&lt;u&gt;copied&lt;/u&gt;" in pages[1] and "<u>copied" not in pages[1]
    assert "X&lt;i&gt;1&lt;/i&gt;&amp;" in pages[1] and "X<i>" not in pages[1]


def test_typed_text_is_escaped_on_the_student_pages(client, student_client, world):
    session = world.session
    pages = {
        "home": student_client.get(reverse("attendance:student_home"), {"q": "<svg onload=alert(3)>"}),
        "confirm": student_client.get(url_of(next(s for s in SPECS if s.name == "confirm"), world)),
        "result": student_client.get(reverse("attendance:result", args=[session.id])),
        "expired": client.get(reverse("attendance:qr_link", args=[session.id, "<i>1<i>"])),
    }
    for name, response in pages.items():
        page = response.content.decode()
        assert "<script>alert(1)</script>" not in page and "<svg onload" not in page, name
    assert "&lt;svg onload=alert(3)&gt;" in pages["home"].content.decode()
    assert "&lt;b&gt;Loops&lt;/b&gt;" in pages["home"].content.decode()
    assert "&lt;b&gt;Loops&lt;/b&gt;" in pages["expired"].content.decode()
