"""Browser tests: the real app behind a real HTTP server, driven by Playwright + Chromium.

Every test under tests/e2e is marked `e2e`; `make test` runs them in their own stage and the other
stages exclude them (`-m "not e2e"`). Fixtures:
- `live_server`: base URL of the app on 127.0.0.1:<free port>, on its own copy of a SQLite database
  seeded once per session with the app's own commands (`flask erflow deploy`, `seed-demo`);
  `live_server.app` is the Flask app (for `with live_server.app.app_context(): …` checks).
- `page`: a Playwright page in a fresh browser context (zh-CN, Asia/Shanghai); the test fails if the
  page raised an uncaught JavaScript error.
- `screenshot(page, name)`: saves tests/e2e/screens/<name>.png (git-ignored) and returns the path.
- `login(page, username, password)`: signs in through the login form.
Never run `playwright install`: the browser is /usr/bin/chromium from Debian (`make system-deps`).
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import ROOT
from app.extensions import db

CHROMIUM = os.environ.get("ERFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = Path(__file__).parent / "screens"
E2E_DIR = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def _config(database_file: Path, uploads: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_file}",
        "SECRET_KEY": "e2e",
        "ERFLOW_TEST_CLOCK": True,
        "ERFLOW_INPROCESS_WORKER": False,
        "ERFLOW_UPLOAD_DIR": str(uploads),
    }


def _run_command(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.output}") from result.exception
    return result.output


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    """A SQLite file with the schema, the demo data and the deployed diagrams, made once."""
    folder = tmp_path_factory.mktemp("e2e-seed")
    path = folder / "seeded.sqlite3"
    app = create_app(_config(path, folder / "uploads"))
    with app.app_context():
        db.create_all()
        db.session.commit()
        db.engine.dispose()
    _run_command(app, "erflow", "deploy", str(ROOT / "bpmn"))  # first: the demo starts instances
    _run_command(app, "erflow", "seed-demo")
    with app.app_context():
        db.engine.dispose()
    return path


class LiveServer(str):
    """The base URL (a str, e.g. "http://127.0.0.1:41234") that also carries the served app."""

    app = None


@pytest.fixture
def live_server(seeded_database, tmp_path):
    database = tmp_path / "erflow.sqlite3"
    shutil.copyfile(seeded_database, database)
    app = create_app(_config(database, tmp_path / "uploads"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.server_port}")
    url.app = app
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} is missing: run `make system-deps` (Debian's chromium)")
    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh temporary user-data-dir (profile).
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def open_page(browser, viewport: dict, *, is_mobile: bool = False):
    """A fresh zh-CN browser context at `viewport` and its page; the list returned with them
    collects the page's uncaught JavaScript errors."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport=viewport, is_mobile=is_mobile)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


@pytest.fixture
def page(browser):
    context, page, errors = open_page(browser, {"width": 1366, "height": 900})
    yield page
    context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


@pytest.fixture
def screenshot():
    def take(page, name: str, *, full_page: bool = True) -> Path:
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def login(live_server):
    def sign_in(page, username: str, password: str) -> None:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form[action$='/login'] [type=submit]")

    return sign_in
