"""Project-wide fixtures: the roles, a clean Redis per test, and the live client."""

import pytest
from django.core.cache import cache

from attendance import live


@pytest.fixture(autouse=True)
def clean_redis(settings):
    """Every test starts with an empty Redis (make test gives it a throwaway server)."""
    # Sweep threads open their own connections, which cannot see a test's
    # uncommitted rows; the threaded sweep has its own transactional test.
    settings.SWEEP_THREADS = 1
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    conn = live.client()  # kept: a test may point LIVE_REDIS_URL at a dead server
    conn.flushdb()
    cache.clear()
    yield
    conn.flushdb()


@pytest.fixture
def redis_conn():
    return live.client()


@pytest.fixture
def student(db):
    from tests.factories import UserFactory

    return UserFactory(school_number="S1001", full_name="Sam Student")


@pytest.fixture
def teacher(db):
    from tests.factories import TeacherFactory

    return TeacherFactory(school_number="T1001", full_name="Tess Teacher")


@pytest.fixture
def other_teacher(db):
    from tests.factories import TeacherFactory

    return TeacherFactory(school_number="T1002", full_name="Otto Other")


@pytest.fixture
def staff(db):
    from tests.factories import AdminFactory

    return AdminFactory(school_number="A1001", full_name="Ada Admin")


@pytest.fixture
def course(teacher, student):
    from tests.factories import CourseFactory, EnrollmentFactory

    course = CourseFactory(code="CS101", title="Programming", teachers=[teacher])
    EnrollmentFactory(course=course, student=student)
    return course


MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def login(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def student_client(client, student):
    return login(client, student)


@pytest.fixture
def teacher_client(client, teacher):
    return login(client, teacher)
