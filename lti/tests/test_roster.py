"""Rosters from the LMS (Names and Role Provisioning Service, served by the platform on loopback): new students
enrolled, dropped ones un-enrolled with their history kept, teachers linked, renames listed, and the roster
import's rule that a teacher is never made a student; on an instructor's launch and on the schedule."""

import pytest
import requests
from django.urls import reverse

from accounts.models import User
from attendance.models import Enrollment
from lti.models import LmsCourse, RosterSync
from lti.roster import roster_sync
from tests.factories import AttendanceFactory, RecordFactory, TeacherFactory, UserFactory
from tests.lti_platform import platform, register, walk

TEACHER = {"user": "lms-t1", "number": "T7001", "name": "Ilse Instructor", "role": "Instructor"}
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def member(user_id, number, name, role=LEARNER, status="Active"):
    return {"user_id": user_id, "lis_person_sourcedid": number, "name": name, "roles": [role], "status": status}


@pytest.fixture(scope="module")
def issuer():
    with platform() as url:
        yield url


@pytest.fixture
def lms(db, issuer, client):
    registration = register(issuer)
    keys = client.get("/lti/jwks/").json()["keys"]  # the platform checks the tool's signed token requests
    requests.post(f"{issuer}/control/tool-jwks", json={"client": "attn", "keys": keys}, timeout=10)
    set_members(issuer, [member("lms-t1", "T7001", "Ilse Instructor", INSTRUCTOR)])
    return registration


def set_members(issuer, members):
    requests.put(f"{issuer}/control/members/course-1", json=members, timeout=10).raise_for_status()


@pytest.fixture
def link(lms, client):
    walk(client.__class__(), lms.issuer, **TEACHER)
    return LmsCourse.objects.select_related("course").get()


@pytest.mark.django_db
def test_new_students_are_enrolled_and_dropped_ones_unenrolled_with_their_history(lms, link):
    course = link.course
    kept = UserFactory(school_number="S0001", full_name="Kim Kept")
    gone = UserFactory(school_number="S0002", full_name="Gus Gone")
    for student in (kept, gone):
        Enrollment.objects.create(course=course, student=student)
    record = RecordFactory(attendance=AttendanceFactory(course=course, teacher=course.teachers.get()), student=gone)
    set_members(
        lms.issuer,
        [
            member("lms-t1", "T7001", "Ilse Instructor", INSTRUCTOR),
            member("u1", "S0001", "Kim Kept"),
            member("u3", "S0003", "Nia New"),
            member("u2", "S0002", "Gus Gone", status="Inactive"),
        ],
    )
    sync = roster_sync(link_id=link.pk)
    assert (sync.error, sync.enrolled, sync.dropped) == ("", ["S0003"], ["S0002"])
    assert set(Enrollment.objects.filter(course=course).values_list("student__school_number", flat=True)) == {
        "S0001",
        "S0003",
    }
    nia = User.objects.get(school_number="S0003")
    assert (nia.role, nia.full_name, nia.has_usable_password()) == ("student", "Nia New", False)
    record.refresh_from_db()  # the dropped student's history is kept
    assert record.student == gone and User.objects.filter(pk=gone.pk).exists()
    assert roster_sync(link_id=link.pk).summary.startswith("0 enrolled, 0 dropped, 0 renamed")  # a rerun: nothing


@pytest.mark.django_db
def test_renames_are_applied_and_listed_and_teachers_are_never_made_students(lms, link):
    UserFactory(school_number="S0001", full_name="Kim Old")
    tess = TeacherFactory(school_number="T0002", full_name="Tess Teacher")
    student_instructor = UserFactory(school_number="S0009")
    set_members(
        lms.issuer,
        [
            member("lms-t1", "T7001", "Ilse Instructor", INSTRUCTOR),
            member("u1", "S0001", "Kim New"),
            member("u2", "T0002", "Tess As Learner"),  # a teacher's number as a learner
            member("u9", "S0009", "Stu Instructor", INSTRUCTOR),  # a student's account as an instructor
            member("u4", "", "No Number"),
        ],
    )
    TeacherFactory(school_number="T0003")
    sync = roster_sync(link_id=link.pk)
    assert sync.renamed == [["S0001", "Kim Old", "Kim New"]]
    assert User.objects.get(school_number="S0001").full_name == "Kim New"
    tess.refresh_from_db()
    assert (tess.role, tess.full_name) == ("teacher", "Tess Teacher")
    assert not Enrollment.objects.filter(student=tess).exists()
    student_instructor.refresh_from_db()
    assert student_instructor.role == "student" and not link.course.teachers.filter(pk=student_instructor.pk).exists()
    reasons = dict(sync.skipped)
    assert "teacher" in reasons["T0002"] and "student" in reasons["S0009"] and "No Number" in reasons


@pytest.mark.django_db
def test_instructors_with_a_teachers_account_are_linked(lms, link):
    other = TeacherFactory(school_number="T0005")
    set_members(
        lms.issuer,
        [member("lms-t1", "T7001", "Ilse Instructor", INSTRUCTOR), member("t5", "T0005", "Olga", INSTRUCTOR)],
    )
    sync = roster_sync(link_id=link.pk)
    assert sync.teachers == ["T0005"] and link.course.teachers.filter(pk=other.pk).exists()


@pytest.mark.django_db
def test_an_instructors_launch_syncs_the_roster(lms, client, monkeypatch, django_capture_on_commit_callbacks):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)  # the worker's task, run in the launch's process
    set_members(lms.issuer, [member("lms-t1", "T7001", "Ilse Instructor", INSTRUCTOR), member("u3", "S0003", "Nia")])
    with django_capture_on_commit_callbacks(execute=True):
        response = walk(client, lms.issuer, **TEACHER).response
    sync = RosterSync.objects.get()
    assert (sync.trigger, sync.enrolled) == ("launch", ["S0003"])
    page = client.get(response["Location"])
    assert "Last roster sync" in page.text and "S0003" in page.text


@pytest.mark.django_db
def test_the_schedule_syncs_every_linked_course_and_a_failure_changes_nothing(lms, link, staff):
    from lti.tasks import sync_rosters

    Enrollment.objects.create(course=link.course, student=UserFactory(school_number="S0001"))
    link.context.deployment.registration.token_url = f"{lms.issuer}/nowhere"  # the platform refuses the token
    link.context.deployment.registration.save()
    assert sync_rosters() == "1 LMS rosters synced, 1 failed"
    sync = RosterSync.objects.get()
    assert sync.error and Enrollment.objects.filter(course=link.course).count() == 1
    from django.test import Client

    admin = Client()
    admin.force_login(staff)
    page = admin.get(reverse("adminpanel:operations"))
    assert page.status_code == 200 and "roster could not be read" in page.text and link.course.code in page.text


@pytest.mark.django_db
def test_the_roster_schedule_exists_after_migrate(db):
    from django_q.models import Schedule

    assert Schedule.objects.get(name="attn-lti-rosters").func == "lti.tasks.sync_rosters"
