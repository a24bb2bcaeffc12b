"""Check-in codes, link tokens, remote and invitation links never reach a log (gunicorn, Django, nginx)."""

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from attn_site.gunicorn_logging import RedactingLogger, redact

SID = "0b6f1c7e-3d0f-4a49-9d3a-2f1c0a9e7b11"


def test_it_cuts_codes_and_tokens_out_of_paths():
    assert redact(f"GET /c/{SID}/123456/ HTTP/1.1") == f"GET /c/{SID}/<code>/ HTTP/1.1"
    assert redact(f"/checkin/{SID}/go/eyJzaWQi:1xX:abc/") == f"/checkin/{SID}/go/<token>/"
    assert redact(f"/checkin/{SID}/result/") == f"/checkin/{SID}/result/"
    # A typed code kept through an expired login (issue 27), and back on the check-in page.
    assert redact("GET /accounts/login/?next=/checkin/%3Fcode%3D123456") == (
        "GET /accounts/login/?next=/checkin/%3Fcode%3D<code>"
    )
    assert redact("GET /checkin/?code=654321 HTTP/1.1") == "GET /checkin/?code=<code> HTTP/1.1"


INVITATION = "/accounts/invitation/MTI/cdx7k2-4f0a1b2c3d4e5f60718293a4b5c6d7e8/"
REMOTE = f"/remote/{SID}/3f9a0c1d2e4b5a6978877665/"


def test_it_cuts_remote_and_invitation_tokens_out_of_paths():
    assert redact(f"GET {INVITATION} HTTP/1.1") == "GET /accounts/invitation/<uid>/<token>/ HTTP/1.1"
    assert redact(f"POST {REMOTE} HTTP/1.1") == f"POST /remote/{SID}/<token>/ HTTP/1.1"
    assert redact(f"https://attn.example.edu{REMOTE}") == f"https://attn.example.edu/remote/{SID}/<token>/"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/c/{SID}/123456/", f"/c/{SID}/<code>/"),
        (f"/checkin/{SID}/go/eyJzaWQi:1xX:abc/", f"/checkin/{SID}/go/<token>/"),
        (REMOTE, f"/remote/{SID}/<token>/"),
        (INVITATION, "/accounts/invitation/<uid>/<token>/"),
        (f"/checkin/{SID}/result/", f"/checkin/{SID}/result/"),
    ],
)
def test_the_proxy_logs_the_same_paths_without_their_secrets(path, logged):
    """deploy/nginx.conf's map, read as nginx would (first matching regex, else the path)."""
    conf = (Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf").read_text()
    body = re.search(r"map \$uri \$uri_redacted \{(.*?)\}", conf, re.S).group(1)
    for line in body.strip().splitlines():
        pattern, replacement = line.strip().rstrip(";").split(" ", 1)
        if pattern == "default":
            continue
        found = re.match(pattern[1:].replace("(?<", "(?P<"), path)
        if found:
            assert re.sub(r"\$(\w+)", lambda m, found=found: found.group(m.group(1)), replacement) == logged
            return
    assert path == logged, f"{path} reaches the proxy's log as it is"


def test_djangos_request_log_names_no_token(client, db, caplog):
    import logging

    from attn_site.log_filters import RedactSecrets

    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(INVITATION)
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    RedactSecrets().filter(record)
    assert "cdx7k2" not in record.getMessage() and "/accounts/invitation/<uid>/<token>/" in record.getMessage()
    from django.conf import settings

    assert "redact_secrets" in settings.LOGGING["handlers"]["console"]["filters"]
    assert "redact_secrets" in settings.LOGGING["handlers"]["mail_admins"]["filters"]


def test_the_access_log_line_holds_no_code_nor_token(capsys):
    config = Config()
    config.set("accesslog", "-")
    logger = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/c/{SID}/654321/",
        "PATH_INFO": f"/c/{SID}/654321/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.9",
        "HTTP_REFERER": f"https://attn.example.edu/checkin/{SID}/go/secret-token/",
    }
    resp = SimpleNamespace(status="302 Found", sent=0, headers=[])
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(resp, req, environ, timedelta(milliseconds=3))
    line = capsys.readouterr().out
    assert "654321" not in line and "secret-token" not in line
    assert f"/c/{SID}/<code>/" in line


def test_a_403_is_logged_as_one_line_without_a_traceback(client, db, caplog):
    import logging

    from attn_site.log_filters import ClientErrorsWithoutTraceback
    from tests.factories import UserFactory

    client.force_login(UserFactory(school_number="S4031"))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/teach/").status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert ClientErrorsWithoutTraceback().filter(record) and record.exc_info is None
    assert "Forbidden" in record.getMessage()
    from django.conf import settings

    assert "client_errors" in settings.LOGGING["handlers"]["console"]["filters"]
