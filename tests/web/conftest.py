"""Fixtures for the web app: an app on a private work folder, a TestClient, a live server in a
thread, and a real headless Chromium driven by Playwright.

The browser: the executable in $P53LAB_CHROMIUM, else the first of ``chromium``,
``chromium-browser`` or ``google-chrome`` on PATH (on Debian: ``apt-get install -y chromium``).
Playwright's own browser download is not needed. Without a browser the browser tests skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import warnings

import pytest

from p53lab.web import Settings, create_app

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture
def make_app(tmp_path):
    """make_app(**settings) -> a fresh app whose work folder is inside tmp_path."""
    made = []

    def make(**kw):
        kw.setdefault("workdir", tmp_path / "work")
        kw.setdefault("store", tmp_path / "runs.duckdb")
        app = create_app(Settings(**kw))
        made.append(app)
        return app

    yield make
    for app in made:
        app.state.jobs.shutdown()


@pytest.fixture
def client(make_app):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(make_app()) as c:
        yield c


def wait_job(client, job: dict, timeout_s: float = 120.0) -> dict:
    """Poll a job until it is final (no assertion on how long it takes)."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/api/jobs/{job['id']}").json()
        if job["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


# ------------------------------------------------------------------------------ browser
def find_chromium() -> str | None:
    env = os.environ.get("P53LAB_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    import uvicorn

    work = tmp_path_factory.mktemp("web-live")
    app = create_app(Settings(workdir=work / "work", store=work / "runs.duckdb"))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = find_chromium()
    if exe is None:
        pytest.skip(
            "no Chromium found: set P53LAB_CHROMIUM or install one on PATH as chromium, "
            "chromium-browser or google-chrome (Debian: apt-get install -y chromium)"
        )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
