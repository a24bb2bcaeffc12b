"""Project-level checks: deploy settings, the compose file, the sweep schedule, CI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_reports_nothing_in_production_mode():
    env = {
        **os.environ,
        "PRODUCTION": "1",
        "SECRET_KEY": "x" * 30 + "-production-secret-" + "y" * 30,
        "ALLOWED_HOSTS": "attn.example.edu",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_env_example_lists_every_setting_read_from_the_environment():
    import re

    names = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', (ROOT / "attn_site/settings.py").read_text()))
    example = (ROOT / ".env.example").read_text()
    missing = [name for name in sorted(names) if f"{name}=" not in example]
    assert not missing


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci/run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme


@pytest.mark.django_db
def test_the_sweep_schedule_exists_after_migrate():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="attn-sweep")
    assert schedule.func == "attendance.tasks.sweep_due"
    assert schedule.repeats == -1


@pytest.mark.parametrize("compose", ["docker-compose.yml", "docker-compose.cluster.yml"])
def test_the_compose_redis_has_a_maxmemory_for_noeviction_to_act_on(compose):
    """Without maxmemory, noeviction never applies: Redis grows until the kernel kills it."""
    import re

    text = (ROOT / compose).read_text()
    assert re.search(r"--maxmemory\W+\$\{\w*REDIS_MAXMEMORY:-\d+[kmg]b\}", text)
    assert re.search(r"--maxmemory-policy\W+noeviction", text)
