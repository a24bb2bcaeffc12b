import pytest
from django.db import IntegrityError, transaction

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_rejects_an_unknown_role():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(school_number="X1", full_name="X", role="wizard")])


def test_it_rejects_an_empty_school_number():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(school_number="", full_name="X")])


def test_it_rejects_a_duplicate_school_number():
    User.objects.create_user("S1", "pw", full_name="One")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("S1", "pw", full_name="Two")


def test_it_rejects_staff_who_are_not_admins():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(school_number="S2", full_name="X", role="student", is_staff=True)])
