"""Single sign-on against a real OpenID Connect provider (npm's oidc-provider on loopback): linking the
imported student, refusing strangers, roles, forged or misdirected or stale tokens, a replayed state,
the QR link through the provider, logout at the provider, and campuses without passwords."""

from urllib.parse import parse_qs, quote, urlparse

import pytest
from django.urls import reverse

from accounts import sso
from accounts.models import User
from tests.factories import UserFactory
from tests.oidc import ACCOUNTS, SECRET, provider, walk_provider


@pytest.fixture(scope="module")
def issuer():
    with provider("http://testserver", accounts=ACCOUNTS) as url:
        yield url


@pytest.fixture
def campus(settings, issuer):
    settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = issuer, "attn", SECRET
    settings.OIDC_PROVIDER_NAME = "Anadolu University"
    return settings


def start(client, next_url=None) -> str:
    url = reverse("accounts:sso_login") + (f"?next={quote(next_url)}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"] and query["nonce"]
    assert query["state"] and query["client_id"] == [sso.client().client_id]
    return response["Location"]


def sign_in(client, login: str, next_url=None):
    """The whole round trip; return the callback's response."""
    back = walk_provider(start(client, next_url), login)
    return client.get(back.removeprefix("http://testserver"))


def whoami(client):
    response = client.get(reverse("accounts:whoami"))
    return response.json()["school_number"] if response.status_code == 200 else None


@pytest.mark.django_db
def test_the_login_page_offers_the_university_first(client, campus):
    page = client.get(reverse("accounts:login")).text
    assert "Sign in with Anadolu University" in page
    assert page.index("sso-login") < page.index('name="password"')


@pytest.mark.django_db
def test_the_first_login_links_the_imported_student(client, campus):
    imported = UserFactory(school_number="S0100", full_name="Irem Imported", password="!")
    response = sign_in(client, "S0100")
    assert response.status_code == 302 and response["Location"] == "/"
    assert whoami(client) == "S0100"
    imported.refresh_from_db()
    assert imported.sso_subject == "S0100" and User.objects.filter(school_number="S0100").count() == 1
    assert client.session.get_expiry_age() == campus.STUDENT_SESSION_TTL  # the role's session, as with a password


@pytest.mark.django_db
def test_an_unknown_school_number_is_refused_unless_its_role_is_created(client, campus):
    response = sign_in(client, "S9999")
    assert response.status_code == 403 and "not in any course yet" in response.text
    assert not User.objects.filter(school_number="S9999").exists() and whoami(client) is None
    campus.OIDC_CREATE_ROLES = ["student"]
    assert sign_in(client, "S9999").status_code == 302
    assert User.objects.get(school_number="S9999").role == "student"


@pytest.mark.django_db
def test_the_role_claim_makes_a_teacher_but_an_administrator_only_when_configured(client, campus):
    UserFactory(school_number="T0500", role="student")
    UserFactory(school_number="A0600", role="student")
    sign_in(client, "T0500")
    assert User.objects.get(school_number="T0500").role == "teacher"
    client.logout()
    sign_in(client, "A0600")
    ayla = User.objects.get(school_number="A0600")
    assert (ayla.role, ayla.is_staff) == ("teacher", False)  # "admin" in the claim, but not configured
    client.logout()
    campus.OIDC_STAFF_VALUES = ["admin"]
    sign_in(client, "A0600")
    ayla.refresh_from_db()
    assert (ayla.role, ayla.is_staff) == ("admin", True)


@pytest.mark.django_db
def test_another_subject_with_a_linked_school_number_is_refused(client, campus):
    UserFactory(school_number="S0101", sso_subject="someone-else")
    response = sign_in(client, "S0101")
    assert response.status_code == 403 and whoami(client) is None


@pytest.mark.django_db
def test_a_replayed_state_is_refused(client, campus):
    UserFactory(school_number="S0102")
    back = walk_provider(start(client), "S0102").removeprefix("http://testserver")
    assert client.get(back).status_code == 302
    client.logout()
    replay = client.get(back)
    assert replay.status_code == 400 and whoami(client) is None
    # Nor does another browser's callback work here.
    other = client.__class__()
    assert other.get(back).status_code == 400


@pytest.fixture
def intercepted(monkeypatch):
    """Change the tokens between the provider and ATTN (a man in the middle) to see that ATTN checks them."""
    from authlib.integrations.django_client.apps import DjangoOAuth2App

    real = DjangoOAuth2App.fetch_access_token
    change = {}

    def fetch(self, *args, **kwargs):
        token = real(self, *args, **kwargs)
        return change["token"](token) if "token" in change else token

    monkeypatch.setattr(DjangoOAuth2App, "fetch_access_token", fetch)
    return change


@pytest.mark.django_db
def test_a_tampered_id_token_is_refused(client, campus, intercepted):
    UserFactory(school_number="S0103")

    def tamper(token):
        header, payload, signature = token["id_token"].split(".")
        import base64
        import json

        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["school_number"] = "A0600"  # an administrator's number, under the student's signature
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return {**token, "id_token": f"{header}.{forged}.{signature}"}

    intercepted["token"] = tamper
    response = sign_in(client, "S0103")
    assert response.status_code == 400 and "could not be verified" in response.text
    assert whoami(client) is None


@pytest.mark.django_db
def test_an_id_token_for_another_application_is_refused(client, campus, intercepted):
    UserFactory(school_number="S0104")
    campus.OIDC_CLIENT_ID = "other"  # sign in once as the other application, and keep its ID token
    sign_in(client, "S0104")
    other_token = client.session["sso_id_token"]
    client.logout()
    campus.OIDC_CLIENT_ID = "attn"
    intercepted["token"] = lambda token: {**token, "id_token": other_token}
    assert sign_in(client, "S0104").status_code == 400 and whoami(client) is None
    # The audience alone is enough: with the nonce right, the other application's token is still refused
    # (its "aud" is not ATTN's client id, and there is no "azp" naming ATTN).
    from joserfc.errors import JoseError

    nonce = parse_id_token_nonce(other_token)
    with pytest.raises(JoseError, match="aud|azp"):
        sso.client().parse_id_token({"id_token": other_token}, nonce=nonce, leeway=60)


def parse_id_token_nonce(id_token: str) -> str:
    import base64
    import json

    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["nonce"]


@pytest.mark.django_db
def test_an_expired_id_token_is_refused(client, settings, intercepted):
    import time

    UserFactory(school_number="S0105")
    with provider("http://testserver", id_token_ttl=1) as short:  # ID tokens that live one second
        settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = short, "attn", SECRET
        settings.OIDC_LEEWAY = 0

        def slow_network(token):
            time.sleep(2.5)  # the token arrives after its second is over
            return token

        intercepted["token"] = slow_network
        response = sign_in(client, "S0105")
    assert response.status_code == 400 and whoami(client) is None


@pytest.mark.django_db
def test_the_qr_link_survives_the_round_trip(client, campus, teacher, student, course):
    import time

    from attendance.tests.live_helpers import code, start

    session = start(teacher, course)
    scanned = client.get(reverse("attendance:qr_link", args=[session.id, code(session, time.time())]))
    go_link = scanned["Location"]
    login_url = client.get(go_link)["Location"]
    assert login_url.startswith("/accounts/login/?next=")
    assert parse_qs(urlparse(login_url).query)["next"] == [go_link]
    assert client.get(login_url).text.count("/accounts/sso/?next=") == 1
    response = sign_in(client, student.school_number, next_url=go_link)
    assert response["Location"] == go_link
    confirmed = client.post(go_link)
    assert confirmed.status_code == 302 and confirmed["Location"].endswith("/result/")
    from attendance import live

    assert live.get_record(session.id, student.school_number).status in ("present", "late")


@pytest.mark.django_db
def test_logout_ends_the_session_at_the_provider_too(client, campus):
    UserFactory(school_number="S0106")
    sign_in(client, "S0106")
    response = client.post(reverse("accounts:logout"))
    end = urlparse(response["Location"])
    assert f"{end.scheme}://{end.netloc}" == campus.OIDC_ISSUER and end.path == "/session/end"
    query = parse_qs(end.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"] and query["id_token_hint"]
    assert whoami(client) is None


@pytest.mark.django_db
def test_a_campus_without_passwords_has_no_password_login_anywhere(client, campus, django_user_model):
    campus.PASSWORD_LOGIN = False
    user = UserFactory(school_number="S0107")
    user.set_password("a-good-password-123")
    user.save()
    page = client.get(reverse("accounts:login")).text
    assert "Sign in with Anadolu University" in page and 'name="password"' not in page
    refused = client.post(reverse("accounts:login"), {"username": "S0107", "password": "a-good-password-123"})
    assert refused.status_code == 403 and whoami(client) is None
    admin_login = client.get(reverse("admin:login"))
    assert admin_login.status_code == 302 and admin_login["Location"].startswith("/accounts/login/")
    assert client.post(reverse("admin:login"), {"username": "S0107", "password": "x"}).status_code == 302
    assert whoami(client) is None
    assert client.get("/accounts/invitation/MQ/any-token/").status_code == 404


@pytest.mark.django_db
def test_without_single_sign_on_nothing_changes(client, settings):
    settings.OIDC_ISSUER, settings.PASSWORD_LOGIN = "", False  # no provider: passwords cannot be turned off
    page = client.get(reverse("accounts:login")).text
    assert "Sign in with" not in page and 'name="password"' in page
    assert client.get(reverse("accounts:sso_login")).status_code == 404
    assert client.get(reverse("accounts:sso_callback")).status_code == 404
