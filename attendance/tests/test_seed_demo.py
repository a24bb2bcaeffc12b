import pytest
from django.core.management import call_command

from accounts.models import User
from attendance.models import Course, Enrollment

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_logins_work(client):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(role="teacher").count() == 3
    assert User.objects.filter(role="student").count() == 120
    assert Course.objects.count() == 4
    assert Enrollment.objects.values("student").distinct().count() == 120
    assert Enrollment.objects.count() == 240
    response = client.post("/accounts/login/", {"username": "T001", "password": "teacher-demo"})
    assert response.status_code == 302
