"""factory-boy factories shared by every app's tests."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from attendance.models import Attendance, AttendanceRecord, Course, Enrollment, Source, Status

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("school_number",)
        skip_postgeneration_save = True

    school_number = factory.Sequence(lambda n: f"S{n:05d}")
    full_name = factory.Faker("name")
    role = User.Role.STUDENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeacherFactory(UserFactory):
    school_number = factory.Sequence(lambda n: f"T{n:05d}")
    role = User.Role.TEACHER


class AdminFactory(UserFactory):
    school_number = factory.Sequence(lambda n: f"A{n:05d}")
    role = User.Role.ADMIN


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"C{n:03d}")
    title = factory.Faker("catch_phrase")
    late_threshold_minutes = 10

    @factory.post_generation
    def teachers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teachers.add(*extracted)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    course = factory.SubFactory(CourseFactory)
    student = factory.SubFactory(UserFactory)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    id = factory.LazyFunction(uuid.uuid4)
    course = factory.SubFactory(CourseFactory)
    lesson_name = factory.Sequence(lambda n: f"Lesson {n}")
    teacher = factory.SubFactory(TeacherFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=90))


class RecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendanceRecord

    attendance = factory.SubFactory(AttendanceFactory)
    student = factory.SubFactory(UserFactory)
    status = Status.PRESENT
    source = Source.CODE
    checked_in_at = factory.LazyAttribute(lambda o: o.attendance.starts_at + timedelta(minutes=2))
