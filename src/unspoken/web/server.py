"""The local web server behind ``unspoken serve`` (standard library only).

``make_server(host, port)`` returns a ``ThreadingHTTPServer`` bound to the loopback address
by default; any other address must be asked for with ``allow_remote=True``. Requests:

- ``GET /`` (``?data=NAME&analysis=KEY``): choose data, see its columns, fill in a form;
- ``POST /upload`` (multipart/form-data, field ``file``): read a data file into memory;
- ``POST /run`` (form fields): run the analysis and show its report;
- ``GET /report/ID.html`` / ``GET /report/ID.json`` (``?download=1``): the report and numbers.

Every POST must carry the server's secret token (a hidden field of each form) and must not
come from another origin (``Origin`` / ``Sec-Fetch-Site``). Reading an upload and running an
analysis happen in a child process with a time limit and a memory cap
(:mod:`unspoken.web.jobs`); uploads stream to a private temporary directory.

Bad input gives a page with the message in plain words and status 400; unexpected failures
give status 500 with a short message (the traceback goes to the terminal only). What the
server holds (token, uploads, results) is :class:`unspoken.web.state.State`.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import secrets
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import unspoken.web.jobs as jobs  # not via the package unspoken.web: it imports this module
import unspoken.web.pages as pages
from unspoken.errors import DataError, UnspokenError
from unspoken.web.analyses import ANALYSES, DATASET_KINDS, defaults
from unspoken.web.multipart import MultipartError, read_multipart
from unspoken.web.state import (
    BadRequestError,
    ForbiddenError,
    State,
    Stored,
    plain_upload_error,
    safe_name,
)

MAX_UPLOAD = 200 * 1024 * 1024  # bytes
MAX_FORM = 1024 * 1024

_CSP_PAGE = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'self'"
)
_CSP_REPORT = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
READ_TIMEOUT = 30  # seconds a client may pause while sending a request


def _size(n: int) -> str:
    """Bytes as people read them: '200 MB', '200.3 MB', '64 KB'."""
    if n < 2**20:
        return f"{n / 1024:,.0f} KB"
    mb = n / 2**20
    return f"{mb:,.0f} MB" if mb == int(mb) else f"{mb:,.1f} MB"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Handler(BaseHTTPRequestHandler):
    server: UnspokenServer
    server_version = "unspoken"
    sys_version = ""
    timeout = READ_TIMEOUT  # a request body that stops arriving ends the connection

    # ------------------------------------------------------------------ plumbing

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write("unspoken serve: " + (format % args) + "\n")

    def _send(
        self,
        status: int,
        body: str | bytes,
        ctype: str = "text/html; charset=utf-8",
        csp: str = _CSP_PAGE,
        headers: dict[str, str] | None = None,
    ) -> None:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Content-Security-Policy", csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on the
        # page's own form posts, which cannot then be told from a sandboxed cross-site one
        self.send_header("Referrer-Policy", "same-origin")
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _host_ok(self) -> bool:
        """Refuse requests naming another host (DNS rebinding) when bound to loopback."""
        if not self.server.loopback_only:
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return is_loopback(name.strip("[]")) or name == ""

    def _guard(self, fn: Any) -> None:
        if not self._host_ok():
            self._send(HTTPStatus.FORBIDDEN, pages.page(pages.error_box("Unknown host.")))
            return
        try:
            fn()
        except (TimeoutError, ConnectionError):  # the client stopped sending or went away
            self.close_connection = True
            self.log_message("%s %s: the request did not arrive in full", self.command, self.path)
        except ForbiddenError as e:
            self._send(HTTPStatus.FORBIDDEN, pages.page(self._home(error=str(e))))
        except BadRequestError as e:
            self._send(HTTPStatus.BAD_REQUEST, pages.page(self._home(error=str(e))))
        except Exception as e:  # the server keeps running whatever happens
            traceback.print_exc(file=sys.stderr)
            msg = f"Something went wrong inside unspoken ({type(e).__name__}: {e})."
            with contextlib.suppress(OSError):
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, pages.page(pages.error_box(msg)))

    def _home(self, error: str | None = None) -> str:
        state = self.server.state
        return pages.data_step(state.choices(), None, state.token) + pages.error_box(error)

    def _discard(self, length: int) -> None:
        """Read and drop a too-large body so the browser sees the answer (up to 1 GB)."""
        if length > 1024**3:
            self.close_connection = True
            return
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)

    # ------------------------------------------------------------------ routes

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._guard(self._get)

    def do_POST(self) -> None:
        self._guard(self._post)

    def _get(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path == "/":
            self._send(HTTPStatus.OK, self._index(query))
        elif url.path.startswith("/report/"):
            self._report(url.path[len("/report/") :], query.get("download") == "1")
        elif url.path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        else:
            self._send(HTTPStatus.NOT_FOUND, pages.page(self._home("There is no such page.")))

    def _check_origin(self) -> None:
        """Refuse a POST that a browser says comes from another origin. A same-origin form
        post carries ``Sec-Fetch-Site: same-origin`` and ``Origin: http://<Host>``
        (Chromium, Firefox); ``Origin: null`` is accepted only with ``same-origin``."""
        site = self.headers.get("Sec-Fetch-Site")
        origin = self.headers.get("Origin")
        host = self.headers.get("Host", "")
        if site is not None and site not in ("same-origin", "none"):
            raise ForbiddenError("Forms can only be sent from this page itself.")
        if origin is None:
            return  # not a browser's cross-origin request (the token still has to match)
        if origin == "null":
            if site != "same-origin":
                raise ForbiddenError("Forms can only be sent from this page itself.")
            return
        parts = urlsplit(origin)
        if parts.scheme != "http" or parts.netloc != host:
            raise ForbiddenError("Forms can only be sent from this page itself.")

    def _check_token(self, value: str | bytes | None) -> None:
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        if not value or not secrets.compare_digest(value, self.server.state.token):
            raise ForbiddenError(
                "This page is out of date (the program may have been restarted). "
                "Reload the page and try again."
            )

    def _post(self) -> None:
        self._check_origin()
        path = urlsplit(self.path).path
        if path == "/upload":
            self._upload()
        elif path == "/run":
            self._run()
        else:
            self._send(HTTPStatus.NOT_FOUND, pages.page(self._home("There is no such page.")))

    def _index(self, query: dict[str, str], error: str | BaseException | None = None) -> str:
        state = self.server.state
        result = ""
        rid = query.pop("result", None)
        if rid:
            with state.lock:
                found = state.results.get(rid)
            result = (
                pages.result_block(rid, found[2])
                if found
                else pages.error_box("This result is no longer in memory; press Run again.")
            )
        data_id = query.get("data") or None
        body = [pages.data_step(state.choices(), data_id, state.token)]
        if data_id is None:
            body.append(pages.error_box(error))
            return pages.page("\n".join(body))
        stored = state.get(data_id)
        key = query.get("analysis") or "list"
        if key not in ANALYSES:
            raise BadRequestError(f"There is no analysis '{key}'.")
        analysis = ANALYSES[key]
        columns = stored.preview.columns
        values = defaults(analysis, columns, stored.design)
        values.update({k: v for k, v in query.items() if k not in ("data", "analysis", "token")})
        body += [
            '<h2><span class="step">2</span>Look at the data</h2>',
            pages.data_preview(
                stored.label, stored.preview.head, stored.note, stored.preview.nrows
            ),
            '<h2 id="analysis"><span class="step">3</span>Choose the analysis and run it</h2>',
            pages.tabs(data_id, key),
            pages.analysis_form(
                data_id,
                analysis,
                values,
                columns,
                error,
                token=state.token,
                datasets=state.choices(),
            ),
            result,
        ]
        return pages.page("\n".join(body), title=f"unspoken: {stored.label}")

    def _content_length(self, limit: int, what: str) -> int:
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            raise BadRequestError(f"The {what} could not be read (no length given).")
        length = int(length_text)
        if length > limit:
            self._discard(length)
            raise BadRequestError(
                f"The {what} is too large: {_size(length)}; the limit is "
                f"{_size(limit)}. Save fewer columns or rows, or use the command line."
            )
        return length

    def _upload(self) -> None:
        state = self.server.state
        length = self._content_length(state.max_upload, "uploaded file")
        try:
            parts = read_multipart(
                self.headers.get("Content-Type", ""), self.rfile.read, length, state.dir
            )
        except MultipartError as e:
            self.close_connection = True  # the rest of the body may be unread
            raise BadRequestError(f"The upload could not be read: {e}.") from None
        files = [p.path for p in parts.values() if p.path is not None]
        folder: Path | None = None
        try:
            self._check_token(parts["token"].data if "token" in parts else None)
            part = parts.get("file")
            if part is None or part.path is None:
                raise BadRequestError("The upload did not contain a file (field 'file').")
            if part.size == 0:
                raise BadRequestError("The uploaded file is empty (or no file was chosen).")
            enc_part = parts.get("encoding")
            encoding = enc_part.data.decode("ascii", "replace").strip() if enc_part else ""
            if encoding and encoding not in pages.ENCODINGS:
                raise BadRequestError(f"Unknown text encoding '{encoding}'.")
            label = Path(part.filename or "uploaded file").name
            key = "upload-" + secrets.token_urlsafe(8)
            # under the user's own file name, so that messages about the file name it
            folder = state.dir / key
            folder.mkdir()
            raw = part.path.rename(folder / safe_name(part.filename))
            files.append(raw)
            store = jobs.store_path(state.dir, key)
            try:
                preview = state.jobs.call(
                    jobs.read_upload, str(raw), label, encoding or None, str(store),
                    what="Reading the file",
                )  # fmt: skip
            except (UnspokenError, ValueError) as e:
                store.unlink(missing_ok=True)
                message = plain_upload_error(e)
                raise BadRequestError(f"The file could not be read: {message}") from None
        finally:
            for f in files:
                f.unlink(missing_ok=True)
            if folder is not None:
                folder.rmdir()
        state.add_upload(
            key, Stored(label, preview, str(store), "", "Uploaded; kept on this computer only.")
        )
        self._send(
            HTTPStatus.SEE_OTHER,
            pages.page(f'<p><a href="/?data={key}">Continue</a></p>'),
            headers={"Location": f"/?data={key}"},
        )

    def _run(self) -> None:
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise BadRequestError("The form was sent in an unexpected way; reload the page.")
        raw = self.rfile.read(self._content_length(MAX_FORM, "form"))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError("The form data are not valid text.") from None
        form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        self._check_token(form.pop("token", None))
        data_id = form.get("data", "")
        key = form.get("analysis", "")
        if key not in ANALYSES:
            raise BadRequestError(f"There is no analysis '{key}'.")
        state = self.server.state
        stored = state.get(data_id)
        # further data sets a field chose (a population table): only those this server
        # holds, resolved here; the job never reads a path the form sent
        tables = {}
        for f in ANALYSES[key].fields:
            if f.kind in DATASET_KINDS and form.get(f.name):
                with contextlib.suppress(BadRequestError):
                    tables[form[f.name]] = state.get(form[f.name]).source
        more = (tables,) if tables else ()
        try:
            report, numbers, title = state.jobs.call(
                jobs.run_analysis, stored.source, key, form, stored.label, *more
            )
        except (UnspokenError, ValueError) as e:  # a FormError keeps its field for the page
            error = e if isinstance(e, UnspokenError) else f"The analysis failed: {e}"
            self._send(HTTPStatus.BAD_REQUEST, self._index(dict(form), error=error))
            return
        rid = state.add_result(report, numbers, title)
        # post/redirect/get: reloading the result page does not run the analysis again
        target = "/?" + urlencode({**form, "result": rid}) + "#result"
        self._send(
            HTTPStatus.SEE_OTHER,
            pages.page(f'<p><a href="{html.escape(target)}">See the result</a></p>'),
            headers={"Location": target},
        )

    def _report(self, name: str, download: bool) -> None:
        stem, dot, ext = name.rpartition(".")
        with self.server.state.lock:
            found = self.server.state.results.get(stem) if dot and ext in ("html", "json") else None
        if found is None:
            self._send(
                HTTPStatus.NOT_FOUND,
                pages.page(self._home("This report is no longer in memory; run it again.")),
            )
            return
        html_text, json_text, _ = found
        headers = {}
        if download:
            headers["Content-Disposition"] = f'attachment; filename="unspoken-report.{ext}"'
        if ext == "html":
            self._send(HTTPStatus.OK, html_text, csp=_CSP_REPORT, headers=headers)
        else:
            self._send(
                HTTPStatus.OK, json_text, "application/json; charset=utf-8", _CSP_REPORT, headers
            )


class UnspokenServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: State, loopback_only: bool, quiet: bool):
        self.state = state
        self.loopback_only = loopback_only
        self.quiet = quiet
        super().__init__(address, Handler)

    def server_close(self) -> None:
        super().server_close()
        self.state.close()


def make_server(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    allow_remote: bool = False,
    max_upload: int = MAX_UPLOAD,
    quiet: bool = False,
    timeout: float = jobs.DEFAULT_TIMEOUT,
    memory_mb: int | None = jobs.DEFAULT_MEMORY_MB,
) -> UnspokenServer:
    """A server for the local page bound to ``host:port`` (``port=0``: any free port).

    Each upload is read, and each analysis run, in a child process stopped after
    ``timeout`` seconds and limited to ``memory_mb`` MB of address space (``None``: no cap).

    Any ``host`` that is not a loopback address (127.0.0.1, ::1, localhost) is refused with
    :class:`~unspoken.errors.DataError` unless ``allow_remote=True``: others on the network
    could then reach the page and the data uploaded to it.
    """
    loopback = is_loopback(host)
    if not loopback and not allow_remote:
        raise DataError(
            f"refusing to serve on '{host}': only this computer (127.0.0.1) is allowed unless "
            "you ask for another address explicitly"
        )
    if max_upload < 1:
        raise DataError("max_upload must be a positive number of bytes")
    if not timeout > 0:
        raise DataError("timeout must be a positive number of seconds")
    cls = UnspokenServer
    if ":" in host:
        import socket

        class _V6(UnspokenServer):
            address_family = socket.AF_INET6

        cls = _V6
    try:
        state = State(max_upload, timeout, memory_mb)
        return cls((host.strip("[]"), port), state, loopback, quiet)
    except OSError as e:
        raise DataError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def url_of(server: UnspokenServer) -> str:
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}/"
