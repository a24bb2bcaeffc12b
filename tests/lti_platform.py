"""A real LTI 1.3 platform on loopback (scripts/lti_platform.py, built from PyPI's `lti1p3platform`) for the
LTI tests and `make e2e`, and a browser-less walk of a launch through it: the platform's launch link, ATTN's
login initiation, the platform's authorisation endpoint and its auto-posted form, ATTN's launch."""

from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

from tests.loopback import loopback_server
from tests.redis_servers import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "lti_platform.py"
DEPLOYMENT = "deployment-1"


@contextmanager
def platform(tool_base: str = "http://testserver"):
    """Start the platform; yield its issuer URL; stop it."""
    port = free_port()
    env = {**os.environ, "LTI_PLATFORM_PORT": str(port), "LTI_TOOL_BASE": tool_base}
    issuer = f"http://127.0.0.1:{port}"
    with loopback_server([sys.executable, str(SCRIPT)], env=env, ready_url=f"{issuer}/jwks", what="the LTI platform"):
        yield issuer


def register(issuer: str, *, client_id: str = "attn", deployment: str = DEPLOYMENT):
    """Register the platform in ATTN as an administrator would in the admin."""
    from lti_tool.models import LtiDeployment, LtiRegistration

    registration = LtiRegistration.objects.create(
        name="Test LMS",
        issuer=issuer,
        client_id=client_id,
        auth_url=f"{issuer}/auth",
        token_url=f"{issuer}/token",
        keyset_url=f"{issuer}/jwks",
    )
    LtiDeployment.objects.create(registration=registration, deployment_id=deployment, is_active=True)
    return registration


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')
_PROCEED = re.compile(r'data-proceed="([^"]+)"')


@dataclass
class Walk:
    response: object  # ATTN's answer to the launch
    form: dict  # what the platform posted (id_token, state): a replay posts it again


def launch_form(client, issuer: str, **params) -> dict:
    """Click ATTN's link in the platform as a person (``user``, ``number``, ``role``, …); return the launch form
    the platform posts to ATTN. ``client`` is Django's test client, the browser."""
    import requests

    started = requests.get(f"{issuer}/launch?{urlencode(params)}", allow_redirects=False, timeout=10)
    assert started.status_code == 302, started.text
    login = started.headers["Location"].removeprefix("http://testserver")
    check = client.get(login)
    assert check.status_code == 200, check.content[:300]
    proceed = unescape(_PROCEED.search(check.text).group(1))  # what the page's script does in a browser
    to_platform = client.get(proceed)
    assert to_platform.status_code == 302, to_platform.content[:300]
    auth = requests.get(to_platform["Location"], timeout=10)
    assert auth.status_code == 200, auth.text
    action, body = _FORM.search(auth.text).groups()
    assert action == "http://testserver/lti/launch/"
    return {name: unescape(value) for name, value in _INPUT.findall(body)}


def walk(client, issuer: str, **params) -> Walk:
    form = launch_form(client, issuer, **params)
    return Walk(client.post("/lti/launch/", form), form)
