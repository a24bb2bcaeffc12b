"""A small LMS for the LTI tests and `make e2e`: an LTI 1.3 platform built from `lti1p3platform` (PyPI), served on
loopback by the standard library's WSGI server.

lti1p3platform does the platform's LTI work: the login initiation URL, the checks of the tool's answer, the
signed launch message with its claims, the access tokens (after checking the tool's signed client
assertion) and the bearer checks of the NRPS and AGS services. This file only gives it a web server, a
course with members, and a few switches the tests turn:

    GET  /launch?user=&number=&name=&role=&context=&tool=&deployment=&key=&ttl=&aud=&azp=&launch_for=&message=
                                  start a launch as that person (302 to the tool's login initiation);
                                  message=deep_link (with accept=ltiResourceLink,link) opens the content picker
    GET  /courses/<ctx>?user=&…   the course's page as that person: ATTN in an iframe (as Moodle and Canvas show it)
    POST /deep-link-return        the tool's LtiDeepLinkingResponse (JWT): verified with the tool's JWKS, then kept
    GET, DELETE /control/deep-links   every content item placed (forgotten); GET /control/deep-link-refusals
    GET  /auth                    the OIDC authorisation endpoint: the auto-posted launch form
    GET  /jwks                    the platform's public keys
    POST /token                   access tokens (client credentials with a signed JWT)
    GET  /nrps/<context>          the course's members (Names and Role Provisioning Service)
    POST /control/tool-jwks       {"client": ..., "keys": [...]}: the tool's public keys
    PUT  /control/members/<ctx>   the course's members, as NRPS lists them
    GET, POST /ags/<ctx>/lineitems, GET /ags/<ctx>/lineitems/<id>, POST /ags/<ctx>/lineitems/<id>/scores
                                  the gradebook (Assignment and Grade Services)
    GET  /control/scores          every score received; POST /control/refuse-scores {"times": n}: refuse n
    GET  /.well-known/openid-configuration, POST /register
                                  dynamic registration (with a token from POST /control/registration-token)

`launch_for=other` signs the launch for another tool (its client id); `key=other` signs it with a key the
platform never published (under the published key's id); `ttl=-60` makes an expired launch; `aud=a,b` names
other audiences, `azp=` another authorised party (`-`: none). Run: python scripts/lti_platform.py
(LTI_PLATFORM_PORT, LTI_TOOL_BASE: where the tool is, e.g. http://testserver).
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import typing as t
from html import escape
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from jwcrypto.jwk import JWK
from lti1p3platform.exceptions import LineItemNotFoundException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

PORT = int(os.environ.get("LTI_PLATFORM_PORT", "0"))
ISSUER = f"http://127.0.0.1:{PORT}"
TOOL = os.environ.get("LTI_TOOL_BASE", "http://testserver").rstrip("/")
CLIENTS = ("attn", "other")
LTI_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
DEPLOYMENT = "deployment-1"
LOCK = threading.Lock()


def _pem(key: JWK, private: bool) -> str:
    return key.export_to_pem(private_key=private, password=None).decode()


PLATFORM_KEY = JWK.generate(kty="RSA", size=2048)
OTHER_KEY = JWK.generate(kty="RSA", size=2048)  # never published: a forger's
STATE: dict[str, t.Any] = {
    "tool_keys": {},
    "members": {},
    "lineitems": {},
    "scores": [],
    "refuse_scores": 0,
    "registration_tokens": set(),
    "registrations": [],
    "deep_link_data": set(),  # the data of each picker opened, returned once
    "deep_links": [],
    "deep_link_refusals": [],
}


def registration(client_id: str, *, key: JWK = PLATFORM_KEY, deployment: str = DEPLOYMENT) -> Registration:
    reg = (
        Registration()
        .set_iss(ISSUER)
        .set_client_id(client_id)
        .set_deployment_id(deployment)
        .set_launch_url(f"{TOOL}/lti/launch/")
        .set_oidc_login_url(f"{TOOL}/lti/login/")
        .set_deeplink_launch_url(f"{TOOL}/lti/launch/")
        .set_platform_public_key(_pem(PLATFORM_KEY, False))
        .set_platform_private_key(_pem(key, True))
    )
    with LOCK:
        keys = STATE["tool_keys"].get(client_id)
    if keys:
        reg.set_tool_key_set({"keys": keys})
    else:
        reg.set_tool_key_set_url(f"{TOOL}/lti/jwks/")
    if key is not PLATFORM_KEY:  # sign with the forger's key under the published key's id
        reg.get_kid = lambda: Registration.get_jwk(_pem(PLATFORM_KEY, False))["kid"]
    return reg


class PlatformConfig(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs):
        self._registration = registration(kwargs.get("client_id", "attn"), **kwargs.get("extra", {}))

    def get_registration_by_params(self, **kwargs):
        return self._registration


class WsgiRequest(Request):
    def build_metadata(self, environ) -> TRequest:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        content_type = environ.get("CONTENT_TYPE", "")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()} if "form" in content_type else {}
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        return {
            "method": environ["REQUEST_METHOD"],
            "form_data": form,
            "get_data": {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()},
            "headers": headers,
            "content_type": content_type,
            "path": environ["PATH_INFO"],
            "json": json.loads(body) if body and "json" in content_type else None,
        }


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs):
        self._lti_message_hint = base64.urlsafe_b64encode(json.dumps(kwargs).encode()).decode()

    def get_redirect(self, url):
        return ("302 Found", [("Location", url)], b"")


def _hint(value: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(value.encode()))


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data, **kwargs):
        html = (
            f'<form method="POST" action="{launch_data["launch_url"]}" id="form">'
            f'<input type="hidden" name="id_token" value="{launch_data["id_token"]}">'
            f'<input type="hidden" name="state" value="{launch_data["state"]}"></form>'
            '<script>document.getElementById("form").submit();</script>'
        )
        return ("200 OK", [("Content-Type", "text/html")], html.encode())


def start_launch(query: dict) -> tuple:
    """A person in a course clicks ATTN's link: the platform sends the browser to the tool's login initiation."""
    client = query.get("tool", "attn")
    config = PlatformConfig(client_id=client, extra={"deployment": query.get("deployment", DEPLOYMENT)})
    login = Login(None, config)
    login.set_lti_message_hint(**query)
    return login.initiate_login(query.get("user", "u1"))


def authorize(environ, query: dict) -> tuple:
    """The tool's authentication request: check it, then post the signed launch to the redirect URI."""
    hint = _hint(query.get("lti_message_hint", ""))
    client = hint.get("launch_for") or hint.get("tool", "attn")
    if query.get("client_id") not in CLIENTS or query.get("redirect_uri") != f"{TOOL}/lti/launch/":
        return ("400 Bad Request", [("Content-Type", "text/plain")], b"unknown client or redirect_uri")
    extra = {"deployment": hint.get("deployment", DEPLOYMENT)}
    if hint.get("key") == "other":
        extra["key"] = OTHER_KEY
    config = PlatformConfig(client_id=client, extra=extra)
    request = WsgiRequest(environ)
    request.request["get_data"] = {**query, "client_id": client}
    launch = Launch(request, config)
    launch.set_id_token_expiration(int(hint.get("ttl", 300)))
    roles = [f"http://purl.imsglobal.org/vocab/lis/v2/membership#{r}" for r in hint.get("role", "Learner").split(",")]
    launch.set_user_data(hint.get("user", "u1"), roles, full_name=hint.get("name") or None)
    context = hint.get("context", "course-1")
    launch.set_launch_context_claim(
        context,
        context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        context_title=hint.get("title", "Algorithms"),
        context_label=hint.get("label", "CS201"),
    )
    if hint.get("message") == "deep_link":
        _open_picker(launch, hint)
    else:
        launch.set_resource_link_claim(hint.get("link", "link-1"), title="Attendance")
    launch.set_launch_presentation_claim("iframe", return_url=f"{ISSUER}/courses/{context}")
    launch.set_nrps(f"{ISSUER}/nrps/{context}")
    launch.set_ags(f"{ISSUER}/ags/{context}/lineitems", allow_creating_lineitems=True)
    extra_claims = {}
    if hint.get("number"):
        extra_claims["https://purl.imsglobal.org/spec/lti/claim/lis"] = {"person_sourcedid": hint["number"]}
    launch.set_extra_claims(extra_claims)
    if hint.get("aud") or hint.get("azp"):  # the base message sets aud and azp last: change them after it
        base = launch.get_launch_message
        aud = hint["aud"].split(",") if "," in hint.get("aud", "") else hint.get("aud") or client
        changed = {"aud": aud, "azp": hint["azp"]} if hint.get("azp") else {"aud": aud}

        def message(include_extra_claims=True):
            built = {**base(include_extra_claims), **changed}
            if hint.get("azp") == "-":
                del built["azp"]
            return built

        launch.get_launch_message = message
    return launch.lti_launch()


def _open_picker(launch: Launch, hint: dict) -> None:
    """The launch becomes an LtiDeepLinkingRequest: the content picker, with an opaque value to get back."""
    data = base64.urlsafe_b64encode(os.urandom(9)).decode()
    with LOCK:
        STATE["deep_link_data"].add(data)
    accept = set(hint.get("accept", "ltiResourceLink,link").split(","))
    launch.set_dl(f"{ISSUER}/deep-link-return", title="Add an activity", accept_types=accept, extra_data=data)


def deep_link_return(environ) -> tuple:
    """The tool's answer to the picker: signed with a key of the tool's JWKS, for this platform, its deployment
    and the picker's data (once), within its lifetime (lti1p3platform checks the signature, the time and the type)."""
    token = WsgiRequest(environ).form_data.get("JWT", "")
    config = PlatformConfig(client_id="attn")
    try:
        items = config.validate_deeplinking_resp({"JWT": token})
        claims = config._jwt["body"]
        aud = claims.get("aud")
        if claims.get("iss") != "attn" or ISSUER not in (aud if isinstance(aud, list) else [aud]):
            raise ValueError("not from this platform's tool, or not for this platform")
        if claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id") != DEPLOYMENT:
            raise ValueError("unknown deployment")
        data = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
        with LOCK:
            if data not in STATE["deep_link_data"]:
                raise ValueError("data of no open picker")
            STATE["deep_link_data"].discard(data)
            STATE["deep_links"].extend(items)
    except Exception as exc:  # any failed check: the picker says so
        with LOCK:
            STATE["deep_link_refusals"].append(repr(exc))
        return ("400 Bad Request", [("Content-Type", "text/html")], f"<h1>Refused</h1><p>{exc!r}</p>".encode())
    titles = "".join(f"<li>{escape(str(item.get('title')))}</li>" for item in items) or "<li>nothing</li>"
    page = f"<!doctype html><title>Placed</title><h1>Placed in the course</h1><ul id='placed'>{titles}</ul>"
    return ("200 OK", [("Content-Type", "text/html")], page.encode())


def course_page(path: str, query: dict) -> tuple:
    """The course as the person in ``query`` sees it in the LMS: ATTN's link opened in an iframe."""
    context = path.rsplit("/", 1)[1]
    launch = escape(f"/launch?{urlencode({**query, 'context': context})}")
    title = escape(query.get("title", "Algorithms"))
    page = (
        f"<!doctype html><html lang='en'><title>{title}</title><h1>{title}</h1>"
        f"<p>Signed in to the LMS as {escape(query.get('name', query.get('user', '')))}.</p>"
        f"<iframe id='tool' title='Attendance' src='{launch}' style='width:100%;height:720px'"
        " allow='geolocation; camera'></iframe></html>"
    )
    return ("200 OK", [("Content-Type", "text/html; charset=utf-8")], page.encode())


class Members(NamesRoleProvisioningService):
    def __init__(self, request, config, context_id):
        super().__init__(request, config, f"{ISSUER}/nrps/{context_id}")
        self.context_id = context_id

    def get_context_by_id(self):
        return Context(id=self.context_id, label="CS201", title="Algorithms")

    def get_member_data_page(self, page=1, limit=None, role=None, since=None, **kwargs):
        with LOCK:
            members = list(STATE["members"].get(self.context_id, []))
        return {"content": members, "has_next": False, "next": None}


class Grades(AssignmentsGradesService):
    """The course's gradebook: line items and the scores posted to them (kept in STATE for the tests)."""

    def __init__(self, request, config, context_id):
        super().__init__(request, config, f"{ISSUER}/ags/{context_id}/lineitems")
        self.context_id = context_id

    def _items(self) -> list:
        return STATE["lineitems"].setdefault(self.context_id, [])

    def find_lineitems(self, page=1, limit=None, line_item_id=None, resource_link_id=None, resource_id=None, tag=None):
        with LOCK:
            items = [i for i in self._items() if tag is None or i.get("tag") == tag]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id):
        with LOCK:
            for item in self._items():
                if item["id"].rsplit("/", 1)[1] == line_item_id:
                    return item
        raise LineItemNotFoundException(line_item_id)

    def create_lineitem(self, creation_data):
        with LOCK:
            item = {**creation_data, "id": f"{ISSUER}/ags/{self.context_id}/lineitems/{len(self._items()) + 1}"}
            self._items().append(item)
        return item

    def update_lineitem(self, update_data):
        return update_data

    def delete_lineitem(self, line_item_id):
        return None

    def update_score(self, line_item_id, score):
        self.find_lineitem(line_item_id)
        with LOCK:
            if STATE["refuse_scores"] > 0:
                STATE["refuse_scores"] -= 1
                return UpdateScoreStatus.NOTAPPLIED
            STATE["scores"].append({**score, "lineitem": line_item_id, "context": self.context_id})
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id, page=1, limit=None, user_id=None):
        return {"content": [], "has_next": False, "next": None}


def ags(environ, path: str) -> tuple:
    parts = path.strip("/").split("/")  # ags, <context>, lineitems[, <id>[, scores]]
    request = WsgiRequest(environ)
    service = Grades(request, PlatformConfig(client_id="attn"), parts[1])
    if len(parts) == 3:
        handler = service.handle_create_lineitem if request.method == "POST" else service.handle_get_lineitems
        return _service(service.handle_resp(handler))
    if len(parts) == 5 and parts[4] == "scores":
        return _service(service.handle_resp(service.handle_update_score, line_item_id=parts[3]))
    return _service(service.handle_resp(service.handle_get_lineitem, line_item_id=parts[3]))


def _json(status: str, data, content_type="application/json") -> tuple:
    return (status, [("Content-Type", content_type)], json.dumps(data).encode())


def _service(response) -> tuple:
    status = {200: "200 OK", 201: "201 Created", 204: "204 No Content", 401: "401 Unauthorized"}.get(
        response.code, f"{response.code} Error"
    )
    if response.code >= 300:
        return _json(status, {"error": response.message})
    result = response.result
    if isinstance(result, dict) and "content" in result:  # a page of line items: the list itself
        result = result["content"]
    return _json(status, result, response.media_type)


def openid_configuration(environ) -> tuple:
    """The platform's configuration for dynamic registration (only with a registration token it issued)."""
    token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
    with LOCK:
        known = token in STATE["registration_tokens"]
    if not known:
        return _json("401 Unauthorized", {"error": "invalid_token"})
    return _json(
        "200 OK",
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/auth",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "registration_endpoint": f"{ISSUER}/register",
            "scopes_supported": ["openid", *LTI_SCOPES],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {"product_family_code": "lti1p3platform"},
        },
    )


def register_tool(environ) -> tuple:
    """A tool registers itself: the client id and the deployment it gets (the token works once)."""
    token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
    data = WsgiRequest(environ).json or {}
    with LOCK:
        if token not in STATE["registration_tokens"]:
            return _json("401 Unauthorized", {"error": "invalid_token"})
        STATE["registration_tokens"].discard(token)
        STATE["registrations"].append(data)
    if data.get("redirect_uris") != [f"{TOOL}/lti/launch/"]:
        return _json("400 Bad Request", {"error": "invalid_redirect_uri"})
    tool = data.get("https://purl.imsglobal.org/spec/lti-tool-configuration", {})
    return _json(
        "200 OK",
        {
            **data,
            "client_id": "attn",
            "https://purl.imsglobal.org/spec/lti-tool-configuration": {**tool, "deployment_id": DEPLOYMENT},
        },
    )


def route(environ) -> tuple:
    path = environ["PATH_INFO"]
    method = environ["REQUEST_METHOD"]
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/launch":
        return start_launch(query)
    if path == "/auth":
        return authorize(environ, query)
    if path.startswith("/courses/"):
        return course_page(path, query)
    if path == "/deep-link-return" and method == "POST":
        return deep_link_return(environ)
    if path == "/control/deep-links" and method == "DELETE":
        with LOCK:
            STATE["deep_links"].clear()
        return _json("200 OK", {})
    if path in ("/control/deep-links", "/control/deep-link-refusals"):
        with LOCK:
            return _json("200 OK", STATE["deep_links" if path.endswith("links") else "deep_link_refusals"])
    if path == "/jwks":
        return _json("200 OK", {"keys": [Registration.get_jwk(_pem(PLATFORM_KEY, False))]})
    if path == "/token" and method == "POST":
        request = WsgiRequest(environ)
        assertion = request.form_data.get("client_assertion", "")
        client = _unverified_sub(assertion)
        try:
            return _json("200 OK", PlatformConfig(client_id=client).get_access_token(request.form_data))
        except Exception as exc:  # a refused assertion: the tool reads the 400
            return _json("400 Bad Request", {"error": "invalid_client", "error_description": str(exc)})
    if path.startswith("/nrps/"):
        request = WsgiRequest(environ)
        service = Members(request, PlatformConfig(client_id="attn"), path.rsplit("/", 1)[1])
        return _service(service.handle_resp(service.handle_get_members))
    if path == "/.well-known/openid-configuration":
        return openid_configuration(environ)
    if path == "/register" and method == "POST":
        return register_tool(environ)
    if path == "/control/registration-token" and method == "POST":
        token = base64.urlsafe_b64encode(os.urandom(12)).decode()
        with LOCK:
            STATE["registration_tokens"].add(token)
        return _json("200 OK", {"token": token, "openid_configuration": f"{ISSUER}/.well-known/openid-configuration"})
    if path == "/control/registrations":
        with LOCK:
            return _json("200 OK", STATE["registrations"])
    if path.startswith("/ags/"):
        return ags(environ, path)
    if path == "/control/scores":
        with LOCK:
            return _json("200 OK", STATE["scores"])
    if path == "/control/refuse-scores" and method == "POST":
        with LOCK:
            STATE["refuse_scores"] = int(WsgiRequest(environ).json["times"])
        return _json("200 OK", {})
    if path == "/control/tool-jwks" and method == "POST":
        data = WsgiRequest(environ).json
        with LOCK:
            STATE["tool_keys"][data["client"]] = data["keys"]
        return _json("200 OK", {})
    if path.startswith("/control/members/") and method == "PUT":
        with LOCK:
            STATE["members"][path.rsplit("/", 1)[1]] = WsgiRequest(environ).json
        return _json("200 OK", {})
    return ("404 Not Found", [("Content-Type", "text/plain")], b"not found")


def _unverified_sub(token: str) -> str:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    except (IndexError, ValueError, KeyError):
        return ""


def app(environ, start_response):
    try:
        status, headers, body = route(environ)
    except Exception as exc:  # the platform's own bug: say it, never hang the tool
        status, headers, body = "500 Internal Server Error", [("Content-Type", "text/plain")], repr(exc).encode()
    start_response(status, headers)
    return [body]


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main() -> None:
    server = make_server("127.0.0.1", PORT, app, server_class=Server, handler_class=QuietHandler)
    print(f"LTI platform on {ISSUER}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
