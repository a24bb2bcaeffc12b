"""Pages for a logged-in user are never stored by a cache or kept for the back button; the language cookie
is as guarded as the session's."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.invitations import invitation_path
from attendance.checkin import proofs
from attendance.tests.live_helpers import start
from conftest import login
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_every_page_of_a_teacher_is_private(teacher_client, teacher, course):
    session = start(teacher, course)
    for url in [
        reverse("attendance:teacher_home"),
        reverse("attendance:live", args=[session.id]),
        reverse("attendance:live_roster", args=[session.id]),
        reverse("attendance:session_list"),
        reverse("attendance:course_list"),
    ]:
        response = teacher_client.get(url)
        assert response.status_code == 200, url
        assert private(response), url


def test_a_students_pages_and_the_remote_link_are_private(client, teacher, student, course):
    session = start(teacher, course, admits_remote=True)
    login(client, student)
    remote = reverse("attendance:remote", args=[session.id, proofs.remote_token(session.secret)])
    for url in [reverse("attendance:student_home"), reverse("attendance:my_attendance"), remote]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert private(response), url
    refused = client.post(reverse("attendance:student_home"), {"code": "12"})
    assert refused.status_code == 400 and private(refused), "errors too"


def test_the_invitation_form_is_private_before_any_login(client):
    user = UserFactory(school_number="S7117")
    user.set_unusable_password()
    user.save()
    page = client.get(invitation_path(user))
    assert page.status_code == 200 and private(page)


def test_anonymous_pages_and_the_probes_keep_their_headers(client, student):
    assert not private(client.get(reverse("attendance:student_home"))), "a redirect to the login: nothing private"
    login(client, student)
    probe = client.get("/healthz")
    assert probe.status_code == 200 and "max-age=0" in probe["Cache-Control"]


def test_the_language_cookie_is_http_only_and_same_site(client):
    response = client.post(reverse("accounts:language"), {"language": "tr", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_in_production_the_language_cookie_is_secure_like_the_session_cookie():
    env = {**os.environ, "PRODUCTION": "1", "SECRET_KEY": "s" * 64, "ALLOWED_HOSTS": "attn.example.edu"}
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY, s.SESSION_COOKIE_SECURE)"
    )
    env["DJANGO_SETTINGS_MODULE"] = "attn_site.settings"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["True", "True", "True"], result.stderr
