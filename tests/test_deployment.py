"""Deployment as shipped: the secret key, the health probes, security headers, the demo data, the image."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from attendance import live
from attendance.checks import check_live_settings

ROOT = Path(__file__).resolve().parent.parent


def deploy_check(secret: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRODUCTION": "1", "SECRET_KEY": secret, "ALLOWED_HOSTS": "attn.example.edu"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "secret", ["dev-only-insecure-key-change-me-in-production-0123456789", "short-but-not-empty-secret"]
)
def test_production_refuses_the_public_or_a_short_secret_key(secret):
    result = deploy_check(secret)
    assert result.returncode != 0 and "attn.E006" in result.stderr


def test_the_check_passes_a_long_random_key(settings):
    settings.PRODUCTION, settings.SECRET_KEY = True, "k" * 64
    assert not [p for p in check_live_settings(None) if p.id == "attn.E006"]


@pytest.fixture
def production(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["attn.example.edu"]
    settings.SECURE_HSTS_SECONDS = 31536000


@pytest.mark.django_db
def test_the_container_probe_reaches_healthz_in_production(production):
    probe = Client(HTTP_HOST="127.0.0.1:8000")  # what the compose healthcheck sends: not HTTPS, not an allowed host
    response = probe.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.mark.django_db
def test_people_still_get_the_https_redirect_and_host_check_in_production(production):
    assert Client(HTTP_HOST="attn.example.edu").get(reverse("accounts:login")).status_code == 301
    assert Client(HTTP_HOST="127.0.0.1:8000").get(reverse("accounts:login")).status_code == 400


@pytest.mark.django_db
def test_the_sweep_probe_fails_with_an_overdue_session_and_no_cluster(settings, teacher, course):
    assert Client().get("/healthz/sweep").status_code == 503  # no cluster runs in the tests
    body = Client().get("/healthz/sweep").json()
    assert body["cluster"]["ok"] is False and body["backlog"]["ok"] is True

    from attendance.teaching import service as live_sessions
    from attendance.tests.live_helpers import start

    session = start(teacher, course, started=3 * 3600, minutes=60)  # ended two hours ago, never swept
    assert live.due_session_ids(time.time()) == [session.id]
    body = Client().get("/healthz/sweep").json()
    assert body["backlog"]["ok"] is False and "ended" in body["backlog"]["detail"]
    live_sessions.session_finish(session=session)


def test_pages_carry_a_content_security_policy_and_a_permissions_policy(client, db):
    response = client.get(reverse("accounts:login"))
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert "geolocation=(self)" in response["Permissions-Policy"] and "camera=(self)" in response["Permissions-Policy"]


def test_the_policy_is_left_off_what_no_browser_renders_as_a_page(client, db):
    """A redirect's body is never shown and what htmx fetches lands in a page that has its own policy:
    the header is built for the pages only (the check-in's redirect and in-place answer skip it)."""
    page = client.get(reverse("accounts:login"))
    assert "Content-Security-Policy" in page
    redirect = client.get(reverse("attendance:student_home"))
    assert redirect.status_code == 302 and "Content-Security-Policy" not in redirect
    fetched = client.get(reverse("accounts:login"), HTTP_HX_REQUEST="true")
    assert fetched.status_code == 200 and "Content-Security-Policy" not in fetched
    assert "Permissions-Policy" in redirect and "X-Frame-Options" in fetched  # the other headers stay


def test_no_template_has_inline_scripts_or_event_handlers():
    import re

    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text) or re.search(
            r"\son[a-z]+\s*=\s*[\"']", text
        ):
            offenders.append(str(template.relative_to(ROOT)))
    assert not offenders


@pytest.mark.django_db
def test_seed_demo_refuses_in_production_without_the_flag(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="--allow-demo-in-production"):
        call_command("seed_demo")
    assert not User.objects.filter(school_number="admin").exists()
    call_command("seed_demo", "--allow-demo-in-production")
    assert User.objects.get(school_number="admin").is_superuser


def test_the_image_leaves_secrets_and_local_data_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".data", ".venv"} <= set(ignored)


def test_the_redis_probe_asks_for_aof_not_just_snapshots():
    from adminpanel import health

    conn = live.client()
    before = conn.config_get("appendonly")["appendonly"]
    try:
        conn.config_set("appendonly", "no")
        assert "AOF is off" in health.redis_config().detail
        conn.config_set("appendonly", "yes")
        assert "AOF" not in health.redis_config().detail
    finally:
        conn.config_set("appendonly", before)


def test_an_error_page_leaves_the_csrf_cookie_alone(client, db):
    # A 404 answered to a request sent before a login (the browser's icon, say) must not set the
    # pre-login CSRF cookie again after the login replaced it: the next form would fail.
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "csrftoken" not in response.cookies
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'rel="icon"' in page  # so browsers do not ask for /favicon.ico at all
