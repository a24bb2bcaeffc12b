"""Login benchmark: a class arriving at once logs in, against the real stack.

Run with `make bench-login` (BENCH_ARGS="--students 300 --concurrency 32").  The
app runs as `make run` runs it; N students with real (Argon2id) password
hashes post the login form at once, each from a new client (GET the page for
the CSRF cookie, then POST; one new connection per request, as bench-checkin).
In the same run the same clients call the minimal authenticated view
(/accounts/me/): the framework floor.  The last line printed is one JSON object;
``ratio`` is logins/s over the floor's requests/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkin import (  # noqa: E402
    PASSWORD,
    Http,
    fire,
    free_port,
    percentile,
    prepare,
    setup_django,
    start_server,
    stop_server,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--floor-rounds", type=int, default=2, help="floor requests per student")
    args = parser.parse_args()

    setup_django()
    [(_, _, numbers)] = prepare("BL", 1, args.students)
    port = free_port()
    print(f"starting the app on 127.0.0.1:{port} …", flush=True)
    server = start_server(port)
    try:
        clients = {number: Http(port) for number in numbers}
        for client in clients.values():
            client.request("GET", "/accounts/login/")  # the login page and its CSRF cookie, before the rush

        def log_in(item):
            number, client = item
            reply = client.form("/accounts/login/", {"username": number, "password": PASSWORD})
            return reply.status == 302, reply.ms

        seconds, latencies, errors = fire(list(clients.items()), args.concurrency, log_in)
        login_rps = len(clients) / seconds
        print(f"logins: {len(clients)} in {seconds:.2f} s, {login_rps:.1f}/s, {errors} errors", flush=True)

        def floor(client):
            reply = client.request("GET", "/accounts/me/")
            return reply.status == 200, reply.ms

        floor_clients = list(clients.values()) * args.floor_rounds
        floor_seconds, floor_lat, floor_errors = fire(floor_clients, args.concurrency, floor)
        floor_rps = len(floor_clients) / floor_seconds
        print(f"floor: {len(floor_lat)} in {floor_seconds:.2f} s, {floor_rps:.0f}/s", flush=True)
    finally:
        stop_server(server)

    summary = {
        "students": len(clients),
        "errors": errors,
        "seconds": round(seconds, 2),
        "logins_per_s": round(login_rps, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "floor_rps": round(floor_rps, 1),
        "floor_errors": floor_errors,
        "ratio": round(login_rps / floor_rps, 3),
        "concurrency": args.concurrency,
        "web_workers": int(os.environ.get("WEB_WORKERS", "3")),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
