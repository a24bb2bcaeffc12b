"""A server of the tests' own on loopback (the LTI platform, the OpenID provider): started in its own process
group, waited for until a URL of it answers, stopped after."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from contextlib import contextmanager


@contextmanager
def loopback_server(command: list[str], *, env: dict, ready_url: str, what: str, cwd=None, timeout: float = 30):
    """Run ``command``; yield once ``ready_url`` answers (RuntimeError naming ``what`` if it never does)."""
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        _wait_for(proc, ready_url, what, timeout)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for(proc: subprocess.Popen, url: str, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)
