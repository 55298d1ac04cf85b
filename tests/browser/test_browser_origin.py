"""A form posted to the page from anywhere else is refused (403) and runs nothing.

A second local HTTP server plays the attacker's web site on another port: its pages post
(auto-submitted) to the unspoken server's /run or /upload, without a token, with a guessed
one, and even with the real one (so that the origin check alone is tested), from the
attacker's page itself, from a ``data:`` iframe and from a sandboxed iframe (both send
``Origin: null``), and with a no-cors ``fetch``. Each attack gets a fresh unspoken server:
a server that never ran a job has no child process (the job forkserver starts with the first
job), which shows that no analysis ran; the last test checks that this probe sees a run.
"""

from __future__ import annotations

import base64
import html
import secrets
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from browser_server import Recorder, Server, start_server, stop_server
from browser_ui import choose_data, run

REFUSED = "Forms can only be sent from this page itself."
PRIZE = "Claim your prize"
FORM = {
    "data": "race",
    "analysis": "list",
    "outcome": "y",
    "treat": "treat",
    "J": "3",
    "method": "dim",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh unspoken server for each test of this module (overrides conftest's)."""
    s = start_server(tmp_path)
    try:
        yield s
    finally:
        stop_server(s.proc)


class _Attacker(ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Attacker

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = self.server.pages.get(self.path.split("?")[0])
        raw = (body or "not found").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture(scope="module")
def attacker() -> Iterator[_Attacker]:
    site = _Attacker(("127.0.0.1", 0), _Handler)
    site.pages = {}
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()


def _token(page: Any, server: Server) -> str:
    """The real form token, as the unspoken page shows it to its own user."""
    page.goto(server.url)
    return page.locator('input[name="token"]').first.get_attribute("value")


def _form(action: str, fields: dict[str, str], multipart: bool = False, auto: bool = True) -> str:
    """An attacker's form posting ``fields`` to ``action``: sent as soon as the page loads
    (``auto``), else when a person clicks its button."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    enc = ' enctype="multipart/form-data"' if multipart else ""
    send = "<script>document.getElementById('f').submit()</script>" if auto else ""
    return (
        f'<!DOCTYPE html><html><body><form id="f" method="post" action="{html.escape(action)}"'
        f'{enc}>{inputs}<button type="submit">{PRIZE}</button></form>{send}</body></html>'
    )


def _no_token(url: str, _: str) -> str:
    return _form(url + "run", FORM)


def _guessed(url: str, _: str) -> str:
    return _form(url + "run", {**FORM, "token": secrets.token_urlsafe(32)})


def _real(url: str, token: str) -> str:
    return _form(url + "run", {**FORM, "token": token})


def _upload(url: str, token: str) -> str:
    return _form(url + "upload", {"token": token, "file": "y,treat\n1,0\n"}, multipart=True)


def _fetch(url: str, token: str) -> str:
    body = urlencode({**FORM, "token": token})
    return (
        "<!DOCTYPE html><html><body><script>"
        f"fetch({url + 'run'!r}, {{method: 'POST', mode: 'no-cors', credentials: 'include', "
        "headers: {'Content-Type': 'application/x-www-form-urlencoded'}, "
        f"body: {body!r}}})"
        "</script></body></html>"
    )


# in a frame the form waits for a click (clickjacking): an auto-submit in a frame can be sent
# before Playwright has attached to the frame's process, and its response would be missed


def _in_frame(url: str, token: str) -> str:
    return _form(url + "run", {**FORM, "token": token}, auto=False)


def _data_iframe(url: str, token: str) -> str:
    inner = base64.b64encode(_in_frame(url, token).encode()).decode()
    return f'<!DOCTYPE html><html><body><iframe src="data:text/html;base64,{inner}"></iframe>'


def _sandboxed(url: str, token: str) -> str:
    inner = html.escape(_in_frame(url, token), quote=True)
    return (
        '<!DOCTYPE html><html><body><iframe sandbox="allow-forms allow-scripts" '
        f'srcdoc="{inner}"></iframe></body></html>'
    )


ATTACKS: dict[str, tuple[Callable[[str, str], str], str]] = {
    # name: (page of the attacker, the host it is served from)
    "form-without-token": (_no_token, "127.0.0.1"),
    "form-with-guessed-token": (_guessed, "127.0.0.1"),
    "form-with-real-token": (_real, "127.0.0.1"),
    "form-from-localhost-name": (_real, "localhost"),
    "upload-form": (_upload, "127.0.0.1"),
    "no-cors-fetch": (_fetch, "127.0.0.1"),
    "data-url-iframe": (_data_iframe, "127.0.0.1"),
    "sandboxed-iframe": (_sandboxed, "127.0.0.1"),
}


TOP_LEVEL = {n for n in ATTACKS if n.startswith(("form-", "upload-"))}
FRAMED = {n for n in ATTACKS if n.endswith("-iframe")}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_post_from_another_origin_is_refused(
    name: str, new_page: Callable[..., Any], server: Server, attacker: _Attacker
) -> None:
    make, host = ATTACKS[name]
    site = f"{host}:{attacker.server_address[1]}"
    page = new_page(allow=(site,))
    attacker.pages[f"/{name}"] = make(server.url, _token(page, server))
    target = server.url + ("upload" if name == "upload-form" else "run")

    def hits_server(r: Any) -> bool:
        return r.url == target and r.request.method == "POST"

    if name in FRAMED:
        page.goto(f"http://{site}/{name}", wait_until="load")
        button = page.frame_locator("iframe").get_by_role("button", name=PRIZE)
        with page.expect_response(hits_server) as answer:
            button.click()
    else:
        with page.expect_response(hits_server) as answer:
            page.goto(f"http://{site}/{name}")
    response = answer.value
    assert response.status == 403, f"{name}: the server answered {response.status}"
    if name in TOP_LEVEL:  # in a frame, the 403 page is blocked by frame-ancestors 'self'
        assert REFUSED in response.text()
    assert server.child_pids() == [], "a job process was started: something ran"


def test_no_child_process_until_a_job_runs(page: Any, server: Server) -> None:
    """The probe above can fail: the page's own Run starts the job forkserver."""
    choose_data(page, server.url, "race")
    assert server.child_pids() == []
    assert run(page).status == 200
    assert page.locator("#result").is_visible()
    assert server.child_pids() != []


def test_recorder_flags_other_hosts() -> None:
    """The check every test ends with can fail."""
    rec = Recorder({"127.0.0.1:8765"})
    rec.urls += ["http://127.0.0.1:8765/", "data:text/html,x", "about:srcdoc", "about:blank"]
    assert rec.outside() == []
    for url in (
        "http://127.0.0.1:9999/",
        "https://fonts.example.org/a.css",
        "ws://localhost:8765/",
        "http://localhost:8765/",
        "ftp://127.0.0.1:8765/",
        "chrome://newtab/",
    ):
        assert Recorder({"127.0.0.1:8765"}, [url]).outside() == [url]
