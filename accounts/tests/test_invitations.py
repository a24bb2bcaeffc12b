"""Invitation links: how imported students (no password) get in, once."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.invitations import invitation_path
from conftest import login
from tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-new-password-42"


@pytest.fixture
def imported():
    user = UserFactory(school_number="S7007", full_name="Ines Imported")
    user.set_unusable_password()
    user.save()
    return user


def test_an_invitation_sets_the_password_once(client, imported):
    link = invitation_path(imported)
    page = client.get(link)
    assert page.status_code == 200 and "Ines Imported" in page.content.decode()
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    imported.refresh_from_db()
    assert imported.check_password(NEW_PASSWORD)
    again = client.get(link)
    assert again.status_code == 400 and "expired or was already used" in again.content.decode()


@pytest.mark.parametrize("link", ["/accounts/invitation/xx/yy/", "/accounts/invitation/MQ/not-a-token/"])
def test_a_made_up_link_is_refused(client, imported, link):
    assert client.get(link).status_code == 400


def test_a_weak_password_is_refused_with_a_message(client, imported):
    response = client.post(invitation_path(imported), {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 400 and "too short" in response.content.decode()


def test_the_admin_prints_the_sheet_of_students_without_a_password(client, imported):
    UserFactory(school_number="S8008", full_name="Has Password")
    login(client, AdminFactory(school_number="A7007", is_superuser=True))
    sheet = client.get(reverse("admin:accounts_user_invitations") + "?without_password=1").content.decode()
    assert "Ines Imported" in sheet and "Has Password" not in sheet
    assert "/accounts/invitation/" in sheet and "<svg" in sheet
    # A print layout: only the sheet on paper, each QR code 4 cm wide (1.35 cm did not scan).
    assert "css/invitations.css" in sheet
    css = (settings.BASE_DIR / "static" / "css" / "invitations.css").read_text()
    assert "#invitations svg { width: 4cm; height: 4cm;" in css
    printed = css[css.index("@media print") :]
    assert "#header" in printed and "#nav-sidebar" in printed and "display: none" in printed


def test_an_administrator_without_the_permission_cannot_print_it(client, imported):
    login(client, AdminFactory(school_number="A7008", is_superuser=False))
    assert client.get(reverse("admin:accounts_user_invitations")).status_code == 403


def test_the_sheet_emails_each_person_their_own_link_in_their_language(client, imported):
    from django.core import mail

    imported.email, imported.language = "ines@uni.example", "tr"
    imported.save()
    no_address = UserFactory(school_number="S7010", full_name="Nora Noaddress")
    no_address.set_unusable_password()
    no_address.save()
    login(client, AdminFactory(school_number="A7009", is_superuser=True))
    sheet = reverse("admin:accounts_user_invitations") + "?without_password=1"

    response = client.post(sheet)

    assert response.status_code == 302 and response.url == sheet
    (message,) = mail.outbox
    assert message.to == ["ines@uni.example"] and "şifrenizi" in message.subject.lower()
    page = client.get(sheet).content.decode()
    assert "1 invitations e-mailed; 1 people have no e-mail address" in page
    link = next(line for line in message.body.splitlines() if "/accounts/invitation/" in line).strip()
    assert client.get(link).status_code == 200  # a working link


def test_the_admin_action_emails_the_selected_users_and_needs_the_permission(client, imported):
    from django.core import mail

    imported.email = "ines@uni.example"
    imported.save()
    changelist = reverse("admin:accounts_user_changelist")
    login(client, AdminFactory(school_number="A7011", is_superuser=False))
    data = {"action": "invitation_emails", "_selected_action": [imported.pk]}
    assert client.post(changelist, data).status_code in (302, 403)
    assert mail.outbox == []
    login(client, AdminFactory(school_number="A7012", is_superuser=True))
    client.post(changelist, data)
    assert [m.to for m in mail.outbox] == [["ines@uni.example"]]
