"""End-to-end tests of ``unspoken serve`` in a real browser (Playwright driving Debian's
chromium at /usr/bin/chromium; ``playwright install`` is never needed).

Fixtures: ``server`` (the real ``unspoken serve`` as a subprocess, one per test module),
``browser`` (one chromium per session), ``new_page`` / ``page`` (a fresh browser context per
test that records every request the browser makes; at teardown it saves a screenshot of each
page's final state to ``UNSPOKEN_ARTIFACTS`` (default: a pytest temporary directory) and
asserts that no request went anywhere but the server, and that the server printed no
traceback).

Without /usr/bin/chromium (or the binary named by ``UNSPOKEN_CHROMIUM``) the directory is
skipped, unless the environment variable ``CI`` is set: there a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser_server import Recorder, Server, start_server, stop_server

# Debian's chromium (CI: apt-get install chromium); UNSPOKEN_CHROMIUM names another binary
CHROMIUM = os.environ.get("UNSPOKEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).resolve().parent
TIMEOUT_MS = 60_000  # any single action or wait (a loaded CI machine is slow)
NAVIGATION_MS = 150_000  # a Run: the server stops an analysis after 120 s


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists() or in_ci():
        return
    skip = pytest.mark.skip(
        reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install "
        "chromium); skipped because it is absent and CI is not set"
    )
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield s
    finally:
        stop_server(s.proc)


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():  # only reached under CI (see pytest_collection_modifyitems)
        pytest.fail(
            f"CI is set but {CHROMIUM} is missing: install it with apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots and downloads go: $UNSPOKEN_ARTIFACTS, else a temporary directory."""
    given = os.environ.get("UNSPOKEN_ARTIFACTS")
    path = Path(given) if given else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


@pytest.fixture
def new_page(
    browser: Any, server: Server, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """``new_page(width=1280, height=900, allow=())``: a page in a fresh browser context
    whose requests are recorded; ``allow`` adds hosts (``host:port``) it may also reach."""
    opened: list[tuple[Any, Any, Recorder]] = []
    server.stderr_since_last()

    def make(width: int = 1280, height: int = 900, allow: tuple[str, ...] = ()) -> Any:
        ctx = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.set_default_navigation_timeout(NAVIGATION_MS)
        rec = Recorder({server.netloc, *allow})
        ctx.on("request", lambda r: rec.urls.append(r.url))
        page = ctx.new_page()
        opened.append((ctx, page, rec))
        return page

    yield make

    name = _slug(request.node.name)
    problems = []
    for i, (ctx, page, rec) in enumerate(opened):
        suffix = f"-{i + 1}" if len(opened) > 1 else ""
        try:
            page.screenshot(path=str(artifacts / f"{name}{suffix}.png"), full_page=True)
        except Exception as e:  # a screenshot must not hide the test's own result
            problems.append(f"screenshot failed: {e}")
        outside = rec.outside()
        ctx.close()
        if outside:
            problems.append(f"the browser made requests outside {sorted(rec.allowed)}: {outside}")
        if not any(urlsplit(u).netloc == server.netloc for u in rec.urls):
            problems.append("the page never reached the server (nothing was tested)")
    err = server.stderr_since_last()
    if "Traceback" in err:
        problems.append(f"the server printed a traceback:\n{err}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A desktop-width page (1280 x 900)."""
    return new_page()
