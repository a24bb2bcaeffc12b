"""End-to-end fixtures: the app served as `make run` serves it, and Debian's Chromium driven by Playwright.

Run through `make e2e`, which starts throwaway PostgreSQL and Redis servers and
sets DATABASE_URL/REDIS_URL; the app below then uses those servers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from e2e.helpers import ACTION_TIMEOUT_MS, CODE_STEP_SECONDS, DESKTOP, ROOT

SERVER_LOG = ROOT / ".data" / "e2e" / "server.log"

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts,
# which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

STARTUP_TIMEOUT = 180
STOP_TIMEOUT = 30


@pytest.fixture(autouse=True)
def clean_redis():
    """Override the unit tests' Redis flush: here Redis belongs to the running app."""
    yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(lines: int = 60) -> str:
    try:
        return "\n".join(SERVER_LOG.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_until_healthy(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the app exited with {proc.returncode} while starting:\n{_log_tail()}")
        if _healthy(url):
            return
        time.sleep(0.5)
    pytest.fail(f"{url}/healthz did not answer 200 within {STARTUP_TIMEOUT} s:\n{_log_tail()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # devstack stops gunicorn and the cluster on SIGTERM
        try:
            proc.wait(STOP_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            pass
    # Its own process group (start_new_session): gunicorn and qcluster go too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture(scope="session")
def oidc_issuer(app_port) -> Iterator[str]:
    """The university's identity provider: a real OpenID Connect provider (npm's oidc-provider)."""
    from tests.oidc import ACCOUNTS, provider

    with provider(f"http://127.0.0.1:{app_port}", accounts=ACCOUNTS) as issuer:
        yield issuer


@pytest.fixture(scope="session")
def app_port() -> int:
    return _free_port()


@pytest.fixture(scope="session")
def app_server(app_port, oidc_issuer) -> Iterator[str]:
    """Serve the app exactly as `make run` does, on a free port, and stop it afterwards.

    Single sign-on is set up (the provider above) beside the passwords, as a campus would run it.
    """
    from tests.oidc import SECRET

    port = app_port
    env = {
        **os.environ,
        "PORT": str(port),
        "CODE_STEP_SECONDS": str(CODE_STEP_SECONDS),
        "OIDC_ISSUER": oidc_issuer,
        "OIDC_CLIENT_ID": "attn",
        "OIDC_CLIENT_SECRET": SECRET,
        "OIDC_PROVIDER_NAME": "Demo University",
    }
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(ROOT / "scripts" / "devstack.py"), "--data", ".data/e2e", "run"]
    with SERVER_LOG.open("w") as log:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(proc, url)
        yield url
    finally:
        _stop(proc)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Show the end of the app's log under a failed test."""
    report = yield
    if report.failed and "app_server" in item.fixturenames:
        report.sections.append((f"app log ({SERVER_LOG.relative_to(ROOT)}, last lines)", _log_tail()))
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout():
    expect.set_options(timeout=ACTION_TIMEOUT_MS)


@pytest.fixture
def new_context(browser: Browser, app_server: str):
    """Open browser contexts (one per person); every one is closed after the test.

    Every page they open is watched for Content-Security-Policy violations,
    and checked by axe-core once loaded: the test fails if the policy blocked
    anything the pages need, or if a page has a serious or critical
    accessibility violation.
    """
    contexts: list[BrowserContext] = []
    blocked: list[str] = []
    inaccessible: list[str] = []

    def watch(page) -> None:
        # Only our pages: the test identity provider's login page (another origin) is not ours to fix.
        def note(message) -> None:
            if page.url.startswith(app_server.rstrip("/") + "/"):
                _note_console(message.text, page.url, blocked, inaccessible)

        page.on("console", note)

    def make(device: dict | None = None, *, camera=None) -> BrowserContext:
        """A context of the shared browser, or with ``camera`` (a .y4m file) of a browser of its own whose
        fake camera plays that file (Chromium's fake media devices: the file is its one camera)."""
        context = (_camera_browser(camera) if camera else browser).new_context(
            base_url=app_server, **(device or DESKTOP)
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.add_init_script(script=_axe_script())
        context.on("page", watch)
        contexts.append(context)
        return context

    cameras: list[Browser] = []

    def _camera_browser(video) -> Browser:
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",  # the camera permission granted without a prompt
            f"--use-file-for-fake-video-capture={video}",
        ]
        cameras.append(browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args))
        return cameras[-1]

    yield make
    for context in contexts:
        context.close()
    for camera in cameras:
        camera.close()
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"
    assert not inaccessible, "axe-core found serious or critical violations:\n" + "\n".join(sorted(set(inaccessible)))


AXE = ROOT / ".data" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_MARK = "AXE-VIOLATIONS "
# Runs in every page (an init script, so the page's CSP does not apply to it): once the page has
# loaded and settled, axe-core checks it and logs the serious and critical violations for the test.
AXE_RUNNER = """
window.addEventListener("load", () => setTimeout(() => {
  if (!window.axe) return;
  window.axe.run(document, {resultTypes: ["violations"]}).then((result) => {
    window.axeDone = true;
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    if (bad.length) console.log(__MARK__ + JSON.stringify(bad.map((v) => ({
      rule: v.id, impact: v.impact, count: v.nodes.length, where: v.nodes.slice(0, 2).map((n) => n.target.join(" ")),
    }))));
  }).catch(() => {});
}, 300));
""".replace("__MARK__", json.dumps(AXE_MARK))


def _axe_script() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make e2e` installs axe-core from the npm registry.")
    return AXE.read_text() + AXE_RUNNER


def _note_console(text: str, url: str, blocked: list[str], inaccessible: list[str]) -> None:
    _note_csp(text, url, blocked)
    if text.startswith(AXE_MARK):
        path = url.split("//", 1)[-1].split("/", 1)[-1]
        inaccessible.append(f"/{path}: {text[len(AXE_MARK) :]}")


def _note_csp(text: str, url: str, blocked: list[str]) -> None:
    if "Content Security Policy" in text or "Content-Security-Policy" in text:
        blocked.append(f"{url}: {text}")
