"""`make run`'s stack: Ctrl-C stops every process it started, the workers of both django-q2 clusters included."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def processes_of(data: Path) -> list[psutil.Process]:
    """Every process whose command line or working files name the stack's data folder, or its children."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(str(data) in part for part in proc.info["cmdline"] or []):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def cluster_of(stack: subprocess.Popen) -> list[psutil.Process]:
    tree = psutil.Process(stack.pid).children(recursive=True)
    return [p for p in tree if "qcluster" in " ".join(p.cmdline())]


def photo_cluster_of(stack: subprocess.Popen) -> list[psutil.Process]:
    """The photo cluster's processes: started by the watchdog with --photos, at PHOTO_NICE."""
    tree = psutil.Process(stack.pid).children(recursive=True)
    watchdogs = [p for p in tree if "--photos" in p.cmdline()]
    return [c for w in watchdogs for c in w.children(recursive=True) if c.nice() == 10]


def test_ctrl_c_stops_the_web_server_the_cluster_and_the_servers(tmp_path):
    data = ROOT / ".data" / f"ctrl-c-{os.getpid()}"
    shutil.rmtree(data, ignore_errors=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "LIVE_REDIS_URL")}
    env.update(PORT=str(port), WEB_WORKERS="2", Q_WORKERS="2", PHOTO_WORKERS="2")
    output = tmp_path / "output.txt"
    stack = subprocess.Popen(
        [sys.executable, "scripts/devstack.py", "--data", str(data.relative_to(ROOT)), "run"],
        cwd=ROOT,
        env=env,
        stdout=output.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )
    try:
        deadline = time.time() + 180
        while not answers(port):
            assert stack.poll() is None, "the stack exited while starting"
            assert time.time() < deadline, "the stack did not answer within 180 s"
            time.sleep(0.5)
        # Both clusters up (the main one and the photo cluster), each under its watchdog: its main process,
        # the sentinel, pusher, monitor and two workers; then they settle (the first scheduled sweep)
        # before the Ctrl-C, as after a while in a terminal.
        while len(cluster_of(stack)) < 2 * (1 + 6) or not photo_cluster_of(stack):
            assert time.time() < deadline, "the django-q2 cluster did not start"
            time.sleep(0.5)
        time.sleep(8)
        # PostgreSQL detaches from its starter: found by its data folder.
        tree = psutil.Process(stack.pid).children(recursive=True) + processes_of(data)
        started = {p.pid for p in tree}
        names = {p.name() for p in tree}
        assert len(started) >= 6 and {"postgres", "redis-server"} <= names  # gunicorn, cluster, servers

        os.killpg(stack.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        assert stack.wait(60) == 0  # how `make run` is meant to end: no "Error 130"
        deadline = time.time() + 30
        while (left := [pid for pid in started if psutil.pid_exists(pid)]) and time.time() < deadline:
            time.sleep(0.5)
        still = [p for p in map(psutil.Process, left) if p.status() != psutil.STATUS_ZOMBIE]
        assert still == [], [p.cmdline() for p in still]
        assert processes_of(data) == []
        assert not answers(port)
        said = output.read_text(errors="replace")
        assert "Task cluster started" in said  # a line saying the cluster started
        assert "moved to the slot-group layout" not in said  # nothing to move on a fresh install
        offset = datetime.now(ZoneInfo(env.get("TIME_ZONE", "Europe/Istanbul"))).strftime("%z")
        listening = next(line for line in said.splitlines() if "Listening at" in line)
        assert offset in listening, listening  # gunicorn's own lines in the school's time, as its access log
    finally:  # whatever is left, even of a failed start: the stack's whole tree and the servers
        leftovers = processes_of(data)
        if stack.poll() is None:
            leftovers += psutil.Process(stack.pid).children(recursive=True) + [psutil.Process(stack.pid)]
        for proc in leftovers:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        shutil.rmtree(data, ignore_errors=True)
