"""A real OpenID Connect provider on loopback (npm's `oidc-provider`, run by Node) for the single sign-on
tests and `make e2e`, and a browser-less walk through its own login and consent pages."""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

from tests.loopback import loopback_server
from tests.redis_servers import free_port

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / ".data" / "oidc"
SCRIPT = ROOT / "scripts" / "oidc_provider.mjs"
SECRET = "attn-test-secret"


def clients(*redirect_bases: str) -> list[dict]:
    """Two registered clients: ATTN ("attn") and another application ("other", for a wrong audience)."""
    return [
        {
            "client_id": client_id,
            "client_secret": SECRET,
            "redirect_uris": [f"{base}/accounts/sso/callback/" for base in redirect_bases],
            "post_logout_redirect_uris": [f"{base}/accounts/login/" for base in redirect_bases],
        }
        for client_id in ("attn", "other")
    ]


@contextmanager
def provider(*redirect_bases: str, accounts: dict | None = None, id_token_ttl: int = 3600):
    """Start the provider; yield its issuer URL; stop it."""
    entry = INSTALL / "node_modules" / "oidc-provider"
    if not entry.exists():
        raise RuntimeError(f"{entry} is missing: `make test` installs oidc-provider from the npm registry")
    shutil.copyfile(SCRIPT, INSTALL / "provider.mjs")  # resolved next to its node_modules
    port = free_port()
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENTS": json.dumps(clients(*redirect_bases)),
        "OIDC_ACCOUNTS": json.dumps(accounts or {}),
        "OIDC_ID_TOKEN_TTL": str(id_token_ttl),
    }
    issuer = f"http://127.0.0.1:{port}"
    ready = f"{issuer}/.well-known/openid-configuration"
    command, what = ["node", str(INSTALL / "provider.mjs")], "the OpenID Connect provider"
    with loopback_server(command, env=env, cwd=INSTALL, ready_url=ready, what=what, timeout=20):
        yield issuer


ACCOUNTS = {
    "T0500": {"roles": ["teacher"], "name": "Tess Teacher"},
    "A0600": {"roles": ["admin", "teacher"], "name": "Ayla Admin"},
}

_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r"<input([^>]*)>")
_ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def walk_provider(authorize_url: str, login: str, *, app_base: str = "http://testserver") -> str:
    """Log in at the provider as `login` (its own login and consent pages, over real HTTP) and return the
    URL it sends the browser back to, at `app_base`."""
    import requests

    browser = requests.Session()
    response = browser.get(authorize_url, allow_redirects=False, timeout=10)
    for _step in range(12):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if target.startswith(app_base):
                return target
            response = browser.get(target, allow_redirects=False, timeout=10)
            continue
        match = _FORM.search(response.text)
        if match is None:
            raise AssertionError(f"the provider showed no form: {response.status_code} {response.text[:300]}")
        action, body = unescape(match.group(1)), match.group(2)
        inputs = [dict(_ATTRIBUTE.findall(tag)) for tag in _INPUT.findall(body)]
        fields = {i["name"]: unescape(i.get("value", "")) for i in inputs if "name" in i}
        if "login" in fields:
            fields.update(login=login, password="any")
        response = browser.post(urljoin(response.url, action), data=fields, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never sent the browser back")
