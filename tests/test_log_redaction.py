"""Check-in codes and link tokens never reach gunicorn's access log."""

from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from attn_site.gunicorn_logging import RedactingLogger, redact

SID = "0b6f1c7e-3d0f-4a49-9d3a-2f1c0a9e7b11"


def test_it_cuts_codes_and_tokens_out_of_paths():
    assert redact(f"GET /c/{SID}/123456/ HTTP/1.1") == f"GET /c/{SID}/<code>/ HTTP/1.1"
    assert redact(f"/checkin/{SID}/go/eyJzaWQi:1xX:abc/") == f"/checkin/{SID}/go/<token>/"
    assert redact(f"/checkin/{SID}/result/") == f"/checkin/{SID}/result/"


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
