import json
import time

import pytest
import redis
from django.urls import reverse
from django_q.signing import SignedPackage

from attendance import live, tasks
from attendance.models import SweepRun
from conftest import login
from tests.factories import TeacherFactory

# The sweep runs in the test's own thread, which sees the test's uncommitted rows.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("single_sweep_thread")]
OPS = reverse("adminpanel:operations")


def live_session(ends_in=3600):
    now = time.time()
    session = live.LiveSession(
        id=live.new_session_id("T9"),
        lesson_name="Ops demo",
        teacher_number="T9",
        teacher_name="Tina",
        starts_at=now - 60,
        ends_at=now + ends_in,
        late_threshold_minutes=10,
        secret="s",
    )
    live.create_session(session)
    return session


@pytest.mark.cluster_too
def test_the_operations_page_shows_services_sweep_and_live_sessions(client, staff, live_redis):
    login(client, staff)
    live_session()
    SweepRun.objects.create(started_at="2026-01-01T00:00Z", sessions_processed=3, records_saved=90)
    response = client.get(OPS)
    assert response.status_code == 200
    content = response.content.decode()
    assert "PostgreSQL" in content and "Redis" in content and "Ops demo" in content
    assert "Processed 3 sessions, saved 90 records, 0 failed" in content
    assert response.context["redis_config"].info["policy"] == "noeviction"
    if live_redis == "cluster":  # every primary read
        assert response.context["redis_config"].info["servers"] == 3 and "3 primaries" in content
    assert not response.context["cluster"].ok  # no qcluster runs during tests
    assert "not running" in content


@pytest.mark.cluster_too
def test_the_operations_page_shows_redis_memory_against_maxmemory(client, staff, redis_conn, live_redis):
    login(client, staff)
    servers = redis_conn.get_primaries() if live_redis == "cluster" else [None]
    targets = [{"target_nodes": node} if node else {} for node in servers]
    saved = [redis_conn.config_get("maxmemory", **target)["maxmemory"] for target in targets]
    for target in targets:
        redis_conn.config_set("maxmemory", 512 * 2**20, **target)
    try:
        response = client.get(OPS)
    finally:
        for target, value in zip(targets, saved):
            redis_conn.config_set("maxmemory", value, **target)
    info = response.context["redis_config"].info
    total = 512.0 * len(servers)  # a cluster's primaries add up; the share shown is the fullest one's
    assert info["max_mb"] == total and 0 < info["used_percent"] < 100
    assert f"of {total} MB ({info['used_percent']} %)" in response.content.decode()


@pytest.mark.cluster_too
def test_the_operations_page_shows_the_photo_queue(client, staff, photo_queue, settings):
    from django_q.tasks import async_task

    login(client, staff)
    assert "0 photos waiting" in client.get(OPS).content.decode()
    for number in ("S1", "S2", "S3"):
        async_task("attendance.tasks.verify_photo", "sid", number, "p.jpg", cluster=settings.PHOTO_CLUSTER)
    content = client.get(OPS).content.decode()
    assert "3 photos waiting · the oldest for 0 s" in content

    settings.PHOTO_WORKERS = 0  # the main cluster judges photos: no queue of their own to show
    assert "Photo queue" not in client.get(OPS).content.decode()


def test_it_lists_dead_letters_and_requeues_them(client, staff, redis_conn):
    login(client, staff)
    session = live_session(ends_in=-60)
    live.dead_letter(session.id, "boom")
    response = client.get(OPS)
    assert session.id in response.content.decode() and "boom" in response.content.decode()
    assert client.post(reverse("adminpanel:requeue", args=[session.id])).status_code == 302
    assert live.due_session_ids(time.time()) == [session.id]
    assert not live.dead_letters()


def test_run_sweep_now_hands_the_sweep_to_the_task_cluster_and_shows_it_pending(client, staff, task_queue):
    login(client, staff)
    live_session(ends_in=-60)
    response = client.post(reverse("adminpanel:run_sweep"))
    assert response.status_code == 302
    assert not SweepRun.objects.exists()  # nothing ran inside the request
    (task,) = [SignedPackage.loads(raw) for raw in task_queue.connection.lrange(task_queue.list_key, 0, -1)]
    assert task["func"] == "attendance.tasks.sweep_due" and task["args"] == (f"staff:{staff.school_number}",)
    assert "waiting for the task cluster" in client.get(OPS).content.decode()

    tasks.sweep_due(*task["args"])  # what the cluster does with it

    run = SweepRun.objects.get()
    assert run.sessions_processed == 1 and run.trigger == f"staff:{staff.school_number}"
    page = client.get(OPS).content.decode()
    assert "waiting for the task cluster" not in page and run.summary in page


def test_the_sweep_log_lists_runs(client, staff):
    login(client, staff)
    SweepRun.objects.create(started_at="2026-01-01T00:00Z", sessions_failed=1, errors="x: boom")
    response = client.get(reverse("adminpanel:sweep_runs"))
    assert response.status_code == 200 and b"boom" in response.content


@pytest.mark.parametrize("name", ["operations", "sweep_runs"])
def test_non_staff_get_403_and_anonymous_the_login(client, name):
    url = reverse(f"adminpanel:{name}")
    assert client.get(url).status_code == 302
    login(client, TeacherFactory())
    assert client.get(url).status_code == 403


def test_run_sweep_is_post_and_staff_only(client, staff):
    login(client, TeacherFactory())
    assert client.post(reverse("adminpanel:run_sweep")).status_code == 403
    login(client, staff)
    assert client.get(reverse("adminpanel:run_sweep")).status_code == 405
    assert client.post(reverse("adminpanel:requeue", args=["22222222-2222-2222-2222-222222222222"])).status_code == 302


def test_healthz_answers_200_without_login_or_personal_data(client, staff):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok" and body["postgres"]["ok"] and body["redis"]["ok"]
    assert staff.school_number not in response.content.decode()


def test_healthz_answers_503_when_redis_is_down(client, settings, tmp_path):
    dead = f"unix://{tmp_path}/nothing-here.sock"
    settings.LIVE_REDIS_URL = dead
    settings.CACHES = {**settings.CACHES, "live": {**settings.CACHES["live"], "LOCATION": dead}}
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable" and body["redis"]["ok"] is False and body["postgres"]["ok"] is True


def test_healthz_answers_503_when_the_sessions_redis_is_down(client, settings, tmp_path):
    """The login sessions, the cache and the task broker may be another server than the live state."""
    dead = f"unix://{tmp_path}/nothing-here.sock"
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": dead}}
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["redis_sessions"]["ok"] is False and body["redis"]["ok"] is True


@pytest.fixture
def sessions_redis(tmp_path, settings):
    """A Redis of its own for the login sessions, the cache and the task broker (REDIS_URL), as when
    LIVE_REDIS_URL puts the live state elsewhere."""
    from tests.redis_servers import free_port, redis_server, wait_for

    port = free_port()
    server = redis_server(tmp_path / "sessions-redis", port, 'save ""')
    try:
        conn = redis.Redis(port=port)
        wait_for(conn.ping, 10, "the sessions Redis")
        location = f"redis://127.0.0.1:{port}/0"
        settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": location}}
        yield conn
    finally:
        server.terminate()
        server.wait(10)


def test_the_operations_page_shows_the_sessions_redis_as_well_as_the_live_one(client, staff, sessions_redis):
    login(client, staff)
    page = client.get(OPS)
    assert page.context["redis"].ok and page.context["redis_sessions"].ok
    assert "Redis (live check-ins)" in page.text and "Redis (logins, cache, tasks)" in page.text
    sessions_redis.config_set("maxmemory-policy", "noeviction")
    sessions_redis.config_set("maxmemory", 1)  # full: every login and every task would be refused
    page = client.get(OPS)
    assert page.status_code == 200 and page.context["redis"].ok
    probe = page.context["redis_sessions"]
    assert not probe.ok and "Redis is full" in probe.detail and probe.detail in page.text


@pytest.fixture
def full_live_redis():
    """The live Redis at maxmemory under noeviction: it refuses every write."""
    conn = live.client()
    saved = conn.config_get("maxmemory")["maxmemory"], conn.config_get("maxmemory-policy")["maxmemory-policy"]
    conn.config_set("maxmemory-policy", "noeviction")
    conn.config_set("maxmemory", 1)
    yield conn
    conn.config_set("maxmemory", saved[0])
    conn.config_set("maxmemory-policy", saved[1])


def test_healthz_answers_503_when_redis_is_full(client, full_live_redis):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["redis"]["ok"] is False
    full_live_redis.config_set("maxmemory-policy", "allkeys-lru")
    assert client.get("/healthz").status_code == 200, "a server that evicts still takes writes"


def test_a_server_is_full_only_at_maxmemory_under_noeviction():
    from adminpanel.health import is_full

    assert is_full({"used_memory": 100, "maxmemory": 100, "maxmemory_policy": "noeviction"})
    assert not is_full({"used_memory": 99, "maxmemory": 100, "maxmemory_policy": "noeviction"})
    assert not is_full({"used_memory": 100, "maxmemory": 0, "maxmemory_policy": "noeviction"})
    assert not is_full({"used_memory": 100, "maxmemory": 100, "maxmemory_policy": "allkeys-lru"})


def test_the_sweep_summaries_and_triggers_are_in_the_readers_language(client, staff):
    from accounts.models import User

    User.objects.filter(pk=staff.pk).update(language="tr")
    SweepRun.objects.create(
        started_at="2026-01-01T00:00Z", sessions_processed=3, records_saved=90, trigger="staff:A0001"
    )
    login(client, staff)
    page = client.get(OPS).content.decode()
    assert "3 oturum işlendi, 90 kayıt kaydedildi, 0 başarısız" in page and "A0001 istedi" in page
    assert "Processed" not in page and "staff:" not in page
    runs = client.get(reverse("adminpanel:sweep_runs")).content.decode()
    assert "A0001 istedi" in runs
