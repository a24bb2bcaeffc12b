"""LTI 1.3 launches from a real platform on loopback (scripts/lti_platform.py, built from lti1p3platform): the
first instructor's launch makes and links the course, a learner lands on the check-in of its open session,
and forged, replayed, expired, misdirected or undeployed launches are refused with a sentence, never a 500."""

import pytest
from django.urls import reverse
from lti_tool.models import LtiUser

from accounts.models import User
from attendance.models import Course, Enrollment
from lti.models import LmsCourse
from tests.factories import TeacherFactory, UserFactory
from tests.lti_platform import launch_form, platform, register, walk

TEACHER = {"user": "lms-t1", "number": "T7001", "name": "Ilse Instructor", "role": "Instructor"}
LEARNER = {"user": "lms-s1", "number": "S7001", "name": "Lena Learner", "role": "Learner"}


@pytest.fixture(scope="module")
def issuer():
    with platform() as url:
        yield url


@pytest.fixture
def lms(db, issuer):
    return register(issuer)


def whoami(client):
    response = client.get(reverse("accounts:whoami"))
    return response.json()["school_number"] if response.status_code == 200 else None


@pytest.mark.django_db
def test_the_first_instructor_launch_creates_and_links_the_course(client, lms, settings):
    response = walk(client, lms.issuer, **TEACHER).response
    link = LmsCourse.objects.select_related("course", "context").get()
    assert (link.context.title, link.course.code, link.course.title) == ("Algorithms", "CS201", "Algorithms")
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:course_report", args=[link.course.pk])
    ilse = User.objects.get(school_number="T7001")
    assert (ilse.role, ilse.full_name, ilse.is_staff) == ("teacher", "Ilse Instructor", False)
    assert list(link.course.teachers.all()) == [ilse]
    assert whoami(client) == "T7001" and client.session.get_expiry_age() == settings.TEACHER_SESSION_TTL
    assert LtiUser.objects.get(sub="lms-t1").auth_user == ilse
    assert client.get(response["Location"]).status_code == 200
    # A second launch (a new browser) finds the same course.
    other = client.__class__()
    assert walk(other, lms.issuer, **TEACHER).response.status_code == 302
    assert Course.objects.count() == 1 and LmsCourse.objects.count() == 1


@pytest.mark.django_db
def test_the_course_code_is_made_unique(client, lms):
    Course.objects.create(code="CS201", title="Another CS201")
    walk(client, lms.issuer, **TEACHER)
    assert LmsCourse.objects.get().course.code == "CS201-2"


@pytest.mark.django_db
def test_a_learner_lands_on_the_check_in_of_the_open_session(client, lms, settings):
    from attendance.tests.live_helpers import start

    walk(client.__class__(), lms.issuer, **TEACHER)
    course = LmsCourse.objects.get().course
    teacher = User.objects.get(school_number="T7001")
    session = start(teacher, course, lesson_name="Graphs")
    response = walk(client, lms.issuer, **LEARNER).response
    assert response.status_code == 302 and response["Location"] == reverse("attendance:student_home")
    lena = User.objects.get(school_number="S7001")
    assert (lena.role, lena.full_name) == ("student", "Lena Learner")
    assert Enrollment.objects.filter(course=course, student=lena).exists()
    assert whoami(client) == "S7001" and client.session.get_expiry_age() == settings.STUDENT_SESSION_TTL
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Graphs" in page.text and str(session.id) in page.text


@pytest.mark.django_db
def test_a_learner_before_any_instructor_is_refused(client, lms):
    response = walk(client, lms.issuer, **LEARNER).response
    assert response.status_code == 403 and "has not opened ATTN" in response.text
    assert whoami(client) is None and not Course.objects.exists()


@pytest.mark.django_db
def test_the_school_number_finds_the_imported_account_and_never_lowers_a_teacher(client, lms):
    imported = UserFactory(school_number="S7001", full_name="Lena Imported")
    tess = TeacherFactory(school_number="T7002")
    walk(client.__class__(), lms.issuer, **TEACHER)
    walk(client, lms.issuer, **LEARNER)
    imported.refresh_from_db()
    assert whoami(client) == "S7001" and imported.full_name == "Lena Imported"  # the roster's name stays
    # A teacher who is a learner in the LMS course stays a teacher and is not enrolled.
    walk(client, lms.issuer, user="lms-t2", number="T7002", role="Learner")
    tess.refresh_from_db()
    assert tess.role == "teacher" and not Enrollment.objects.filter(student=tess).exists()


@pytest.mark.django_db
def test_an_lms_administrator_is_never_an_attn_administrator_unless_configured(client, lms, settings):
    walk(client, lms.issuer, user="lms-a1", number="A7001", role="Administrator,Instructor")
    assert User.objects.get(school_number="A7001").role == "teacher"
    settings.LTI_STAFF_ROLES = ["Administrator"]
    walk(client.__class__(), lms.issuer, user="lms-a1", number="A7001", role="Administrator,Instructor")
    assert User.objects.get(school_number="A7001").is_staff


@pytest.mark.django_db
def test_a_launch_without_the_school_number_is_refused(client, lms):
    response = walk(client, lms.issuer, user="lms-x", role="Learner").response
    assert response.status_code == 403 and "school number" in response.text and whoami(client) is None


@pytest.mark.django_db
def test_the_lms_user_stays_linked_to_one_account(client, lms):
    walk(client, lms.issuer, **TEACHER)
    response = walk(client.__class__(), lms.issuer, **{**TEACHER, "number": "T7999"}).response
    assert response.status_code == 403 and "linked to another ATTN account" in response.text


@pytest.mark.django_db
def test_a_replayed_launch_is_refused(client, lms):
    first = walk(client, lms.issuer, **TEACHER)
    assert first.response.status_code == 302
    client.logout()
    replay = client.post("/lti/launch/", first.form)
    assert replay.status_code == 403 and "already used" in replay.text and whoami(client) is None


@pytest.mark.django_db
def test_a_launch_signed_with_another_key_is_refused(client, lms):
    response = walk(client, lms.issuer, **TEACHER, key="other").response
    assert response.status_code == 400 and "could not be verified" in response.text
    assert whoami(client) is None and not User.objects.filter(school_number="T7001").exists()


@pytest.mark.django_db
def test_an_expired_launch_is_refused(client, lms):
    response = walk(client, lms.issuer, **TEACHER, ttl="-120").response
    assert response.status_code == 400 and "could not be verified" in response.text and whoami(client) is None


@pytest.mark.django_db
def test_an_unknown_deployment_is_refused(client, lms):
    from lti_tool.models import LtiDeployment

    response = walk(client, lms.issuer, **TEACHER, deployment="deployment-9").response
    assert response.status_code == 403 and "deployment" in response.text and whoami(client) is None
    assert not LtiDeployment.objects.filter(deployment_id="deployment-9").exists()  # nothing written
    LtiDeployment.objects.update(is_active=False)  # an inactive one is refused as well
    assert walk(client, lms.issuer, **TEACHER).response.status_code == 403


@pytest.mark.django_db
def test_a_launch_for_another_client_id_is_refused(client, lms):
    response = walk(client, lms.issuer, **TEACHER, launch_for="other").response
    assert response.status_code == 403 and "not registered here" in response.text and whoami(client) is None
    # Nor does the login initiation of another tool's client id start.
    import requests

    started = requests.get(f"{lms.issuer}/launch?tool=other&user=u1", allow_redirects=False, timeout=10)
    login = client.get(started.headers["Location"].removeprefix("http://testserver"))
    assert login.status_code == 400 and "not registered here" in login.text


@pytest.mark.django_db
def test_a_launch_shared_with_another_audience_is_refused(client, lms):
    # pylti1p3 reads the first audience as the client id; OpenID Connect's rule on azp is ATTN's own.
    for claims in ({"aud": "attn,someone-else", "azp": "-"}, {"azp": "someone-else"}):
        response = walk(client, lms.issuer, **TEACHER, **claims).response
        assert response.status_code == 403 and "meant for another tool" in response.text and whoami(client) is None
    assert walk(client, lms.issuer, **TEACHER, aud="attn,someone-else", azp="attn").response.status_code == 302


@pytest.mark.django_db
def test_a_launch_from_another_browser_is_refused(client, lms):
    form = launch_form(client, lms.issuer, **TEACHER)
    stranger = client.__class__()  # without the state cookie the login initiation set
    response = stranger.post("/lti/launch/", form)
    assert response.status_code == 400 and "cookie" in response.text and whoami(stranger) is None


@pytest.mark.django_db
def test_bad_posts_get_a_sentence_not_a_500(client, lms):
    assert client.get("/lti/launch/").status_code == 405
    for form in ({}, {"id_token": "x", "state": "y"}, {"id_token": "a.b.c", "state": "state-1"}):
        response = client.post("/lti/launch/", form)
        assert response.status_code == 400 and "Open ATTN from the LMS again" in response.text
    assert client.get("/lti/login/?iss=https://unknown.example&login_hint=1").status_code == 400


@pytest.mark.django_db
def test_the_tool_publishes_its_keys_and_the_command_rotates_them(client, lms):
    from django.core.management import call_command

    before = {key["kid"] for key in client.get("/lti/jwks/").json()["keys"]}
    assert before and all(not {"d", "p", "q"} & set(key) for key in client.get("/lti/jwks/").json()["keys"])
    call_command("rotate_keys", "--deactivate-after", "0")
    after = {key["kid"] for key in client.get("/lti/jwks/").json()["keys"]}
    assert after and not after & before


@pytest.mark.django_db
def test_launched_pages_may_be_framed_by_their_platform_only(client, lms):
    walk(client, lms.issuer, **TEACHER)
    page = client.get(reverse("attendance:course_list"))
    assert "X-Frame-Options" not in page
    assert f"frame-ancestors 'self' {lms.issuer}" in page["Content-Security-Policy"]
    other = client.__class__()
    other.force_login(User.objects.get(school_number="T7001"))
    page = other.get(reverse("attendance:course_list"))
    assert page["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page["Content-Security-Policy"]


@pytest.mark.django_db
def test_an_administrator_registers_a_platform_in_the_admin_and_reads_the_urls_to_paste(client, staff, issuer):
    from lti_tool.models import LtiDeployment, LtiRegistration

    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    page = client.get(reverse("admin:lti_tool_ltiregistration_add"))
    assert page.status_code == 200
    assert "http://testserver/lti/login/" in page.text and "http://testserver/lti/jwks/" in page.text
    assert "contextmembership.readonly" in page.text
    assert "Deep linking (content selection) URL" in page.text and "LtiDeepLinkingRequest" in page.text
    form = {
        "name": "Moodle",
        "uuid": "6f1c2a3e-1111-4222-8333-944455556666",
        "issuer": issuer,
        "client_id": "attn",
        "auth_url": f"{issuer}/auth",
        "token_url": f"{issuer}/token",
        "keyset_url": f"{issuer}/jwks",
        "is_active": "on",
        "deployments-TOTAL_FORMS": "1",
        "deployments-INITIAL_FORMS": "0",
        "deployments-0-deployment_id": "deployment-1",
        "deployments-0-is_active": "on",
    }
    response = client.post(reverse("admin:lti_tool_ltiregistration_add"), form)
    assert response.status_code == 302, response.text[:2000]
    assert LtiDeployment.objects.get(registration=LtiRegistration.objects.get(), deployment_id="deployment-1").is_active
    assert walk(client.__class__(), issuer, **TEACHER).response.status_code == 302  # the launch now works
    # Another administrator's view: teachers and students cannot reach the registrations.
    client.force_login(TeacherFactory())
    assert client.get(reverse("admin:lti_tool_ltiregistration_add")).status_code == 302
