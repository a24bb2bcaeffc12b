"""Deep linking from a real platform's content picker (scripts/lti_platform.py, lti1p3platform): an instructor's
picker launch lands on the page that chooses what to place, and the signed answer, auto-posted back, is a
content item the platform verifies with ATTN's JWKS; a learner's, a forged and an expired picker launch are
refused; the answer goes once, to the picker's own return URL, under a CSP that lets the form go there."""

import re
from html import unescape

import pytest
import requests
from django.urls import reverse

from accounts.models import User
from lti.models import LmsCourse
from tests.lti_platform import platform, register, walk

TEACHER = {"user": "lms-t1", "number": "T7001", "name": "Ilse Instructor", "role": "Instructor"}
LEARNER = {"user": "lms-s1", "number": "S7001", "name": "Lena Learner", "role": "Learner"}
PICKER = {"message": "deep_link"}
_RETURN = re.compile(
    r'<form method="post" action="([^"]+)" id="lti-deep-link-return">.*?name="JWT" value="([^"]+)"', re.S
)


@pytest.fixture(scope="module")
def issuer():
    with platform() as url:
        yield url


@pytest.fixture
def lms(db, issuer, client):
    registration = register(issuer)
    keys = client.get("/lti/jwks/").json()["keys"]  # the platform checks answers against ATTN's keys
    requests.post(f"{issuer}/control/tool-jwks", json={"client": "attn", "keys": keys}, timeout=10)
    requests.delete(f"{issuer}/control/deep-links", timeout=10)
    return registration


def placed(issuer) -> list:
    return requests.get(f"{issuer}/control/deep-links", timeout=10).json()


def post_back(issuer, page) -> requests.Response:
    """What the page's script (or its button) does: post the signed answer to the platform."""
    action, token = _RETURN.search(page.text).groups()
    assert action == f"{issuer}/deep-link-return"
    return requests.post(action, data={"JWT": unescape(token)}, timeout=10)


@pytest.mark.django_db
def test_it_places_the_courses_attendance_and_the_platform_verifies_it(client, lms):
    response = walk(client, lms.issuer, **TEACHER, **PICKER).response
    assert response.status_code == 302 and response["Location"] == reverse("lti:deep_link")
    course = LmsCourse.objects.get().course  # the picker's launch links the course, as a first launch does
    assert list(course.teachers.values_list("school_number", flat=True)) == ["T7001"]
    page = client.get(reverse("lti:deep_link"))
    assert page.status_code == 200 and course.code in page.text and 'value="Attendance"' in page.text
    assert f"frame-ancestors 'self' {lms.issuer}" in page["Content-Security-Policy"]
    answer = client.post(reverse("lti:deep_link"), {"title": "Attendance (CS201)", "place": "1"})
    assert answer.status_code == 200
    policy = answer["Content-Security-Policy"]
    assert f"form-action 'self' {lms.issuer}" in policy and "script-src 'self'" in policy
    assert "<script>" not in answer.text and "lti_deep_link_return.js" in answer.text
    assert "csrfmiddlewaretoken" not in answer.text.split('id="lti-deep-link-return"')[1]  # not sent to the LMS
    back = post_back(lms.issuer, answer)
    assert back.status_code == 200, back.text
    assert placed(lms.issuer) == [
        {"type": "ltiResourceLink", "title": "Attendance (CS201)", "url": "http://testserver/lti/launch/", "custom": {}}
    ]
    # The link it placed launches into the course's page.
    assert walk(client.__class__(), lms.issuer, **TEACHER).response["Location"] == reverse(
        "attendance:course_report", args=[course.pk]
    )


@pytest.mark.django_db
def test_the_answer_goes_once_and_a_tampered_one_is_refused_by_the_platform(client, lms):
    walk(client, lms.issuer, **TEACHER, **PICKER)
    answer = client.post(reverse("lti:deep_link"), {"title": "Attendance", "place": "1"})
    action, token = _RETURN.search(answer.text).groups()
    head, body, signature = unescape(token).split(".")
    forged = requests.post(action, data={"JWT": f"{head}.{body}.{signature[::-1]}"}, timeout=10)
    assert forged.status_code == 400 and not placed(lms.issuer)
    # The page's answer is spent: another post shows the refusal, not a second answer.
    again = client.post(reverse("lti:deep_link"), {"title": "Attendance", "place": "1"})
    assert again.status_code == 400 and "Nothing is waiting" in again.text


@pytest.mark.django_db
def test_cancel_places_nothing(client, lms):
    walk(client, lms.issuer, **TEACHER, **PICKER)
    answer = client.post(reverse("lti:deep_link"), {"title": "", "cancel": "1"})
    assert post_back(lms.issuer, answer).status_code == 200 and placed(lms.issuer) == []


@pytest.mark.django_db
def test_an_empty_title_is_asked_again(client, lms):
    walk(client, lms.issuer, **TEACHER, **PICKER)
    page = client.post(reverse("lti:deep_link"), {"title": "  ", "place": "1"})
    assert page.status_code == 400 and "This field is required" in page.text
    assert client.post(reverse("lti:deep_link")).status_code == 400  # an empty post: the form again
    assert client.get(reverse("lti:deep_link")).status_code == 200  # still waiting


@pytest.mark.django_db
def test_a_learners_picker_launch_is_refused(client, lms):
    walk(client.__class__(), lms.issuer, **TEACHER)  # the course exists
    response = walk(client, lms.issuer, **LEARNER, **PICKER).response
    assert response.status_code == 403 and "place ATTN in an LMS course" in response.text
    assert not User.objects.filter(school_number="S7001").exists()  # refused before anything is written
    assert client.get(reverse("lti:deep_link")).status_code == 302  # not logged in: to the login page


@pytest.mark.django_db
def test_forged_and_expired_picker_launches_are_refused(client, lms):
    for forged in ({"key": "other"}, {"ttl": "-120"}):
        response = walk(client, lms.issuer, **TEACHER, **PICKER, **forged).response
        assert response.status_code == 400 and "could not be verified" in response.text
    assert not User.objects.filter(school_number="T7001").exists()
    assert client.get(reverse("lti:deep_link")).status_code == 302


@pytest.mark.django_db
def test_a_replayed_picker_launch_is_refused(client, lms):
    first = walk(client, lms.issuer, **TEACHER, **PICKER)
    client.logout()
    replay = client.post("/lti/launch/", first.form)
    assert replay.status_code == 403 and "already used" in replay.text


@pytest.mark.django_db
def test_a_picker_that_takes_no_tool_links_is_told_so(client, lms):
    response = walk(client, lms.issuer, **TEACHER, **PICKER, accept="link").response
    assert response.status_code == 400 and "add ATTN as an activity" in response.text


@pytest.mark.django_db
def test_the_page_is_for_the_teacher_with_a_waiting_picker(client, lms, teacher, student):
    url = reverse("lti:deep_link")
    assert client.get(url).status_code == 302  # anonymous: the login
    client.force_login(student)
    assert client.get(url).status_code == 403
    client.force_login(teacher)
    response = client.get(url)
    assert response.status_code == 400 and "Nothing is waiting" in response.text
    assert client.put(url).status_code == 405
    # Another teacher's session never holds this picker; a teacher no longer in the course gets a 404.
    walk(client, lms.issuer, **TEACHER, **PICKER)
    LmsCourse.objects.get().course.teachers.clear()
    assert client.get(url).status_code == 404
