"""Where the live state runs: one Redis (or Sentinel's primary) or a Redis Cluster.

The only module that knows which.  ``topology()`` picks one object per
process from the settings; the store's operations are written once against
its two primitives — reads pipelined in one round trip per server, and a
script run on one slot — and never ask which topology they run on.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import redis
import redis.cluster
from django.conf import settings
from django_redis import get_redis_connection
from redis.cluster import ClusterNode

# What a caller sees when Redis cannot take the request: unreachable, or out of
# memory under noeviction (the pages answer 503 for these; nothing was written).
# On a cluster, mid-failover: CLUSTERDOWN from the nodes, a slot the client knows no primary for, the
# client's own retries running out (ClusterError), TRYAGAIN while a slot moves.
UNAVAILABLE = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ClusterError,
    redis.exceptions.SlotNotCoveredError,
    redis.exceptions.TryAgainError,
)
WatchError = redis.WatchError

LIVE_ALIAS = "live"
_LUA = Path(__file__).with_name("lua")


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means Redis cannot take requests now (a script hitting OOM reports it as text)."""
    if isinstance(exc, UNAVAILABLE):
        return True
    return isinstance(exc, redis.ResponseError) and "OOM command not allowed" in str(exc)


@dataclass(frozen=True)
class Read:
    """One read command for ``Topology.reads``: ``method(key, *args, **kwargs)`` on the client."""

    method: str
    key: str
    args: tuple
    kwargs: dict


def read(method: str, key: str, *args, **kwargs) -> Read:
    return Read(method, key, (key, *args), kwargs)


def read_script(name: str, keys: list[str], *args) -> Read:
    """A read-only script (keys in one slot) for ``Topology.reads``; EVAL: the server caches it by digest."""
    return Read("eval", keys[0], (lua_source(name), len(keys), *keys, *args), {})


@functools.cache
def lua_digest(name: str) -> str:
    """The SHA1 of ``lua/<name>.lua`` by which EVALSHA runs it."""
    return hashlib.sha1(lua_source(name).encode(), usedforsecurity=False).hexdigest()


@functools.cache
def lua_source(name: str) -> str:
    """The text of ``lua/<name>.lua``, each ``--#include <other>`` line replaced by ``lua/<other>.lua``
    (``check_in`` includes ``write_check_in``, the write it ends with, and ``device_index``)."""
    text = (_LUA / f"{name}.lua").read_text()
    return re.sub(r"^--#include (\w+)$", lambda m: lua_source(m.group(1)), text, flags=re.MULTILINE)


class Topology:
    """The operations the store needs that differ between one Redis and a cluster."""

    spans_groups = True  # whether one script may touch the keys of several slot groups

    def __init__(self, location: str):
        self.location = location
        self._scripts: dict[str, redis.commands.core.Script] = {}

    def client(self):
        raise NotImplementedError

    def reads(self, calls: list[Read]) -> list:
        """Run read commands in one pipeline (one round trip)."""
        with self.client().pipeline(transaction=False) as pipe:
            for call in calls:
                getattr(pipe, call.method)(*call.args, **call.kwargs)
            return pipe.execute()

    def script(self, name: str, *, keys: list[str], args: list):
        """Run ``lua/<name>.lua`` atomically; its keys must share one slot on a cluster."""
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.client().register_script(lua_source(name))
        return script(keys=keys, args=args)

    def wait_for_replicas(self, written_key: str, acks: int, timeout_ms: int) -> int:
        """How many replicas hold the writes so far of the server that holds ``written_key`` (WAIT)."""
        return self.client().execute_command("WAIT", acks, timeout_ms)

    def each_server(self, read_one: Callable) -> list:
        """``read_one(client, **target)`` for every server that holds live state (the health page)."""
        return [read_one(self.client())]


class OneRedis(Topology):
    """One Redis server, or Sentinel's primary: django-redis's ``live`` alias (its own pool).

    Scripts (every check-in is one) and WAIT go over a connection each thread holds, straight to
    redis-py's connection — its retries on a broken connection and Sentinel's "the old primary is a
    replica now" included — not through the client and its pool, whose bookkeeping per command cost a
    check-in more than a third of what it paid beyond the floor (``make bench-checkin``).  And WAIT counts
    the writes of the connection it is sent on: it must follow the script on the same one.
    """

    def __init__(self, location: str):
        super().__init__(location)
        self._held = threading.local()

    def client(self) -> redis.Redis:
        return get_redis_connection(LIVE_ALIAS)

    def script(self, name: str, *, keys: list[str], args: list):
        sha = lua_digest(name)
        try:
            return self._command("EVALSHA", sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:  # a server that has not seen it yet (new, restarted, flushed)
            self._command("SCRIPT", "LOAD", lua_source(name))
            return self._command("EVALSHA", sha, len(keys), *keys, *args)

    def wait_for_replicas(self, written_key: str, acks: int, timeout_ms: int) -> int:
        return self._command("WAIT", acks, timeout_ms)

    def _command(self, *args):
        conn = self._connection()

        def send():
            self._ready(conn)
            conn.send_packed_command(conn.pack_command(*args))
            return conn.read_response()

        # As the client does: a broken connection is dropped and the command sent again on a new one.
        return conn.retry.call_with_retry(send, lambda error: conn.disconnect())

    @staticmethod
    def _ready(conn) -> None:
        """What the pool checks before it lends a connection: connected (Sentinel's asks for the primary),
        and nothing to read — a server that closed it (died, restarted, failed over) left its end to read."""
        conn.connect()  # a no-op once connected
        try:
            stale = conn.can_read()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            stale = True
        if stale:
            conn.disconnect()
            conn.connect()

    def _connection(self):
        """This thread's connection (a process forked since makes its own: a socket is never shared), made
        as the pool makes its own (Sentinel's asks for the primary) but not counted among them: it is never
        returned to it."""
        conn = getattr(self._held, "conn", None)
        if conn is None or conn.pid != os.getpid():
            pool = self.client().connection_pool
            conn = self._held.conn = pool.connection_class(**pool.connection_kwargs)
        return conn


class Cluster(Topology):
    """A Redis Cluster: redis-py's cluster client (one per process), following slots and failovers."""

    spans_groups = False

    def __init__(self, location: str, nodes: tuple[str, ...]):
        super().__init__(location)
        self.nodes = nodes

    def client(self) -> redis.cluster.RedisCluster:
        return _cluster_client(self.nodes)

    def reads(self, calls: list[Read]) -> list:
        """One plain pipeline per primary, by the client's slot map (redis-py's cluster pipeline works out
        each command's node anew, which cost more than the reads themselves: ``make bench-cluster``); when
        the cluster answers that a slot moved or a node is gone, redis-py's cluster pipeline, which follows
        and refreshes."""
        try:
            return self._reads_per_primary(calls)
        except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError, redis.exceptions.SlotNotCoveredError):
            return super().reads(calls)

    def _reads_per_primary(self, calls: list[Read]) -> list:
        conn = self.client()
        by_node: dict[str, tuple[ClusterNode, list]] = {}
        for index, call in enumerate(calls):
            node = conn.get_node_from_key(call.key)
            by_node.setdefault(node.name, (node, []))[1].append((index, call))
        results: list = [None] * len(calls)
        for node, items in by_node.values():
            with conn.get_redis_connection(node).pipeline(transaction=False) as pipe:
                for _, call in items:
                    getattr(pipe, call.method)(*call.args, **call.kwargs)
                for (index, _), value in zip(items, pipe.execute()):
                    results[index] = value
        return results

    def wait_for_replicas(self, written_key: str, acks: int, timeout_ms: int) -> int:
        conn = self.client()
        return conn.execute_command("WAIT", acks, timeout_ms, target_nodes=conn.get_node_from_key(written_key))

    def each_server(self, read_one: Callable) -> list:
        conn = self.client()
        return [read_one(conn, target_nodes=node) for node in conn.get_primaries()]


@functools.cache
def _cluster_client(nodes: tuple[str, ...]) -> redis.cluster.RedisCluster:
    """The process's cluster client (kept once it has reached the cluster; tried again otherwise)."""
    startup = [ClusterNode(host, int(port)) for host, port in (node.rsplit(":", 1) for node in nodes)]
    try:
        return redis.cluster.RedisCluster(
            startup_nodes=startup,
            socket_connect_timeout=2,
            socket_timeout=5,
            client_name="attn-live",
            health_check_interval=30,
        )
    except redis.exceptions.RedisClusterException as exc:  # no node answered: as unavailable as a down server
        raise redis.ConnectionError(str(exc)) from exc


_chosen: dict[tuple, Topology] = {}


def topology() -> Topology:
    """The process's topology, chosen once from LIVE_REDIS_CLUSTER_NODES (set: a cluster) and the live alias.

    Kept per setting (a test may point the live state elsewhere), so scripts
    are registered once per server.
    """
    nodes = tuple(settings.LIVE_REDIS_CLUSTER_NODES or ())
    location = ",".join(nodes) or str(settings.CACHES[LIVE_ALIAS]["LOCATION"])
    found = _chosen.get((nodes, location))
    if found is None:
        found = _chosen[(nodes, location)] = Cluster(location, nodes) if nodes else OneRedis(location)
    return found


def server_memory(alias: str = LIVE_ALIAS) -> list[dict]:
    """INFO memory of each server behind a Redis alias: ``live`` (every primary, on a cluster) or
    ``default`` (the cache, the login sessions and the task broker; maybe the same server). A round trip
    to each, so also their ping: raises what the client raises."""
    if alias == LIVE_ALIAS:
        return topology().each_server(lambda conn, **target: conn.info("memory", **target))
    return [get_redis_connection(alias).info("memory")]


def client():
    """The live state's Redis client (tests and operators' tools; the store uses the topology's primitives)."""
    return topology().client()


def errors_of_the_client() -> tuple[type[BaseException], ...]:
    """What any client call may raise, the cluster client's own errors included."""
    return (redis.RedisError, redis.exceptions.RedisClusterException)


def groups_of(items: Iterable, group: Callable) -> list[list]:
    """Split ``items`` by ``group(item)`` where a script may not span slot groups, in first-seen order."""
    if topology().spans_groups:
        items = list(items)
        return [items] if items else []
    by_group: dict = {}
    for item in items:
        by_group.setdefault(group(item), []).append(item)
    return list(by_group.values())
