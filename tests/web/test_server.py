"""The local web page: a real server on an ephemeral loopback port, driven with urllib."""

from __future__ import annotations

import html
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from unspoken import datasets
from unspoken.errors import DataError
from unspoken.listexp.standard import list_experiment
from unspoken.results import json_text
from unspoken.web import make_server, url_of
from unspoken.web.multipart import MultipartError, parse_multipart

MAX_UPLOAD = 64 * 1024


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, max_upload=MAX_UPLOAD, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url_of(server)
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


_TOKENS: dict[str, str] = {}


def _token(base: str) -> str:
    """The form token of the server at ``base``, read from its page as a browser would."""
    if base not in _TOKENS:
        _, page = _get(base)
        _TOKENS[base] = re.search(r'name="token" value="([^"]+)"', page).group(1)
    return _TOKENS[base]


def _with_token(url: str, body: bytes, ctype: str) -> bytes:
    """``body`` with the page's token added as the first field (as the page's forms do)."""
    base = url.rsplit("/", 1)[0] + "/"
    if ctype.startswith("multipart/form-data") and "boundary=" in ctype:
        b = ctype.split("boundary=", 1)[1]
        field = f'--{b}\r\nContent-Disposition: form-data; name="token"\r\n\r\n{_token(base)}\r\n'
        return field.encode() + body
    if ctype == "application/x-www-form-urlencoded":
        return urllib.parse.urlencode({"token": _token(base)}).encode() + b"&" + body
    return body


def _post(url: str, body: bytes, ctype: str, token: bool = True) -> tuple[int, str, str]:
    if token:
        body = _with_token(url, body, ctype)
    req = urllib.request.Request(url, data=body, headers={"Content-Type": ctype}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode(), r.url
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), url


def _run(base: str, **fields: str) -> tuple[int, str, str]:
    body = urllib.parse.urlencode(fields).encode()
    return _post(base + "run", body, "application/x-www-form-urlencoded")


def _multipart(filename: str, data: bytes, boundary: str = "b0undaryXYZ") -> tuple[bytes, str]:
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _error(page: str) -> str:
    m = re.search(r'<div class="error" role="alert">(.*?)</div>', page, re.S)
    assert m, "no error box on the page"
    return html.unescape(m.group(1))


def _alive(base: str) -> None:
    status, page = _get(base)
    assert status == 200 and "Choose the data" in page


LIST_FORM = dict(
    data="race", analysis="list", outcome="y", treat="treat", J="3", method="dim",
    covariates="", by="", weights="", control="",
)  # fmt: skip


def test_index_lists_bundled_datasets_and_no_external_assets(base: str) -> None:
    status, page = _get(base)
    assert status == 200
    for name in datasets.names():
        assert f'<option value="{name}"' in page
    assert "private temporary folder" in page and "nothing is sent anywhere" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_data_page_shows_columns_and_defaults_from_design(base: str) -> None:
    status, page = _get(base + "?data=race&analysis=list")
    assert status == 200
    assert "1,213 rows" in page
    assert '<option value="y" selected>' in page and '<option value="treat" selected>' in page
    assert 'name="J" value="3"' in page


def test_list_run_matches_api(base: str) -> None:
    status, page, url = _run(base, **LIST_FORM)
    assert status == 200 and "result=" in url  # redirected to the result page
    rid = re.search(r"/report/([\w-]+)\.html", page).group(1)
    status, report = _get(f"{base}report/{rid}.html")
    status_j, numbers = _get(f"{base}report/{rid}.json?download=1")
    assert status == status_j == 200
    want = list_experiment(datasets.load("race"), "y ~ 1", "treat", J=3, method="dim").prevalence
    got = json.loads(numbers)["prevalence"]
    assert got["estimate"] == pytest.approx(want.estimate, rel=1e-12)
    assert got["std_error"] == pytest.approx(want.std_error, rel=1e-12)
    assert f"{100 * want.estimate:.1f}%" in report  # the headline of the same report


def test_other_analyses_run(base: str) -> None:
    status, page, _ = _run(
        base, data="nigeria", analysis="rr", answer="rr.q1", design="forced-known",
        p="2/3", p0="1/6", p1="1/6", q="", covariates="cov.age + cov.female", by="",
    )  # fmt: skip
    assert status == 200, _error(page)
    status, page, _ = _run(
        base, data="race", analysis="design-test", outcome="y", treat="treat", J="3",
        compat="paper", control="",
    )  # fmt: skip
    assert status == 200, _error(page)
    status, page, _ = _run(
        base, data="gap_placebo", analysis="direct", question="support",
        support="definitely,rather", dk="no", by="news", by2="", weights="",
    )  # fmt: skip
    assert status == 200, _error(page)


def test_upload_small_csv_then_run(base: str) -> None:
    rows = "\n".join(f"{(i * 7) % 4},{i % 2},{i % 3}" for i in range(200))
    body, ctype = _multipart("my survey.csv", f"count,got_long,region\n{rows}\n".encode())
    status, page, url = _post(base + "upload", body, ctype)
    assert status == 200 and "data=upload-" in url
    assert "my survey.csv" in page and "200 rows" in page
    data_id = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["data"][0]
    # the data list shows the upload as the current choice
    assert f'<option value="{data_id}" selected>Your file: my survey.csv</option>' in page
    form = {**LIST_FORM, "data": data_id, "outcome": "count", "treat": "got_long"}
    status, page, _ = _run(base, **form)
    assert status == 200, _error(page)
    assert "/report/" in page


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"outcome": "nope"}, "no column 'nope'"),
        ({"treat": ""}, "choose a column"),
        ({"J": "three"}, "whole number"),
        ({"method": "eval"}, "choose one of"),
        ({"covariates": "__import__('os')"}, "not allowed"),
        ({"data": "nothing"}, "no data set 'nothing'"),
        ({"analysis": "shell"}, "no analysis 'shell'"),
    ],
)
def test_bad_form_gives_400_with_message(base: str, change: dict, expected: str) -> None:
    status, page, _ = _run(base, **{**LIST_FORM, **change})
    assert status == 400
    assert expected in _error(page)
    assert "Traceback" not in page
    _alive(base)


def test_analysis_error_is_shown_plainly(base: str) -> None:
    status, page, _ = _run(base, **{**LIST_FORM, "J": "1"})  # counts up to 4 with J = 1
    assert status == 400
    assert _error(page) and "Traceback" not in page
    assert 'name="J" value="1"' in page  # the form keeps what was entered
    _alive(base)


@pytest.mark.parametrize(
    ("body", "ctype", "expected"),
    [
        (b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", "multipart/form-data; "
         "boundary=x", "no closing boundary"),
        (b"hello", "multipart/form-data", "no valid boundary"),
        (b"a=1", "application/x-www-form-urlencoded", "not sent as multipart"),
        (b"--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nabc\r\n--x--\r\n",
         "multipart/form-data; boundary=x", "did not contain a file"),
        (b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
         b"\x00\x01\x02garbage\r\n--x--\r\n", "multipart/form-data; boundary=x",
         "could not be read"),
    ],
)  # fmt: skip
def test_bad_upload_gives_400(base: str, body: bytes, ctype: str, expected: str) -> None:
    status, page, _ = _post(base + "upload", body, ctype)
    assert status == 400
    assert expected in _error(page)
    _alive(base)


def test_too_large_upload_gives_400(base: str) -> None:
    body, ctype = _multipart("big.csv", b"x\n" + b"1\n" * MAX_UPLOAD)
    status, page, _ = _post(base + "upload", body, ctype)
    assert status == 400
    assert "too large: 128 KB; the limit is 64 KB" in _error(page)
    _alive(base)


def test_column_names_are_escaped(base: str) -> None:
    evil = "<script>alert(1)</script>"
    body, ctype = _multipart("x<b>.csv", f'"{evil}",treat\n1,0\n2,1\n'.encode())
    status, page, url = _post(base + "upload", body, ctype)
    assert status == 200
    assert evil not in page and html.escape(evil) in page
    data_id = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["data"][0]
    status, page, _ = _run(base, **{**LIST_FORM, "data": data_id, "outcome": evil + "x"})
    assert status == 400 and evil not in page


def test_unknown_host_header_is_refused(base: str) -> None:
    req = urllib.request.Request(base, headers={"Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 403


def test_refuses_non_loopback_unless_asked() -> None:
    with pytest.raises(DataError, match="refusing"):
        make_server("0.0.0.0", 0)
    with pytest.raises(DataError, match="refusing"):
        make_server("192.168.1.10", 0)
    server = make_server("0.0.0.0", 0, allow_remote=True, quiet=True)
    server.server_close()
    server = make_server("localhost", 0, quiet=True)
    assert server.server_address[0] == "127.0.0.1"
    server.server_close()


def test_multipart_parser() -> None:
    body = (
        b'preamble\r\n--B\r\nContent-Disposition: form-data; name="a"\r\n\r\none\r\n'
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="d.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\r\n--X\x00\r\n\r\n--B--\r\nepilogue"
    )
    parts = parse_multipart("multipart/form-data; boundary=B", body)
    assert parts["a"].data == b"one" and parts["a"].filename is None
    assert parts["f"].data == b"\r\n--X\x00\r\n" and parts["f"].filename == "d.bin"
    with pytest.raises(MultipartError):
        parse_multipart("multipart/form-data; boundary=B", b"--B\r\nno blank line\r\n--B--\r\n")
    with pytest.raises(MultipartError):
        parse_multipart("multipart/form-data; boundary=B", b"--B\r\n\r\nx\r\n--B--\r\n")


def test_serve_command_prints_url_warns_for_remote_and_stops(monkeypatch) -> None:
    from click.testing import CliRunner

    from unspoken.cli.main import cli
    from unspoken.web.server import UnspokenServer

    def interrupt(self, *a, **k):
        raise KeyboardInterrupt

    opened: list[str] = []
    monkeypatch.setattr(UnspokenServer, "serve_forever", interrupt)
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    res = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert res.exit_code == 0, res.output
    assert re.search(r"running at http://127\.0\.0\.1:\d+/", res.output)
    assert "Stopped." in res.output and "Warning" not in res.output
    assert opened and opened[0].startswith("http://127.0.0.1:")
    res = CliRunner().invoke(cli, ["serve", "--port", "0", "--host", "0.0.0.0", "--no-browser"])
    assert res.exit_code == 0, res.output
    assert "others on the network could reach" in res.output
    assert len(opened) == 1


def test_report_is_the_same_as_the_cli_html(base: str, tmp_path) -> None:
    from unspoken.cli.main import main

    path = tmp_path / "r.html"
    with pytest.raises(SystemExit) as e:
        main(["list", "race", "--formula", "y ~ 1", "--treat", "treat", "--J", "3",
              "--method", "dim", "--html", str(path), "--json"])  # fmt: skip
        raise SystemExit(0)
    assert not e.value.code
    _, page, _ = _run(base, **LIST_FORM)
    rid = re.search(r"/report/([\w-]+)\.html", page).group(1)
    _, served = _get(f"{base}report/{rid}.html")

    def undated(t: str) -> str:
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "DATE", t)

    assert undated(served) == undated(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["parquet", "dta"])
def test_upload_binary_formats(base: str, tmp_path, fmt: str) -> None:
    df = datasets.load("race")[["y", "treat", "south"]]
    path = tmp_path / f"race.{fmt}"
    df.to_parquet(path) if fmt == "parquet" else df.to_stata(path, write_index=False)
    body, ctype = _multipart(path.name, path.read_bytes())
    status, page, url = _post(base + "upload", body, ctype)
    assert status == 200 and "1,213 rows" in page
    data_id = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["data"][0]
    status, page, _ = _run(base, **{**LIST_FORM, "data": data_id})
    assert status == 200, _error(page)
    rid = re.search(r"/report/([\w-]+)\.html", page).group(1)
    _, numbers = _get(f"{base}report/{rid}.json")
    want = list_experiment(df, "y ~ 1", "treat", J=3, method="dim").prevalence.estimate
    assert json.loads(numbers)["prevalence"]["estimate"] == pytest.approx(want, rel=1e-12)


def test_gap_with_placebo_and_polls_run(base: str) -> None:
    from unspoken.falsification import gap

    status, page, _ = _run(
        base, data="gap_placebo", analysis="gap", outcome="count", treat="treat", J="4",
        direct="support", support="definitely,rather", dk="no", method="dim", covariates="",
        by="news", by2="", weights="", control="", placebo_treat="placebo",
        placebo_prevalence="1/2",
    )  # fmt: skip
    assert status == 200, _error(page)
    rid = re.search(r"/report/([\w-]+)\.html", page).group(1)
    _, numbers = _get(f"{base}report/{rid}.json")
    want = gap(datasets.load("gap_placebo"), "count", "treat", 4, "support", "definitely,rather",
               by="news", placebo_treat="placebo", placebo_prevalence=0.5).to_dict()  # fmt: skip
    assert json.loads(numbers) == json.loads(json_text(want))
    status, page, _ = _run(
        base, data="putin_approval", analysis="polls", share="approve", pollster="pollster",
        date="date", n="", default_n="Levada=1600, FOM=1500, VCIOM=1600",
        dk_col="hard_to_say", scale="all", period="week", units="auto",
    )  # fmt: skip
    assert status == 200, _error(page)
    status, page, _ = _run(
        base, data="putin_approval", analysis="polls", share="approve", pollster="pollster",
        date="date", n="", default_n="Levada", dk_col="", scale="all", period="week",
        units="auto",
    )  # fmt: skip
    assert status == 400 and "POLLSTER=N" in _error(page)


@pytest.mark.parametrize(
    ("headers", "token", "status"),
    [
        ({"Origin": "https://evil.example"}, True, 403),
        ({"Origin": "http://127.0.0.1:1"}, True, 403),  # another local program's page
        ({"Sec-Fetch-Site": "cross-site"}, True, 403),
        ({"Sec-Fetch-Site": "same-site"}, True, 403),
        ({"Origin": "null"}, True, 403),  # e.g. a sandboxed frame on another site
        ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, True, 200),
        ({"Origin": "SELF", "Sec-Fetch-Site": "same-origin"}, True, 200),  # Chromium, Firefox
        ({"Origin": "SELF", "Sec-Fetch-Site": "same-origin"}, False, 403),  # no token
        ({"Origin": "SELF", "Sec-Fetch-Site": "same-origin"}, "wrong", 403),
    ],
)
def test_cross_site_post_is_refused(base: str, headers: dict, token, status: int) -> None:
    """What browsers send for a form on another origin is refused; what they send for the
    page's own forms (with its token) is accepted. The real-browser check is in
    tests/browser."""
    fields = dict(LIST_FORM)
    if token is True:
        fields["token"] = _token(base)
    elif token:
        fields["token"] = token
    headers = {k: base.rstrip("/") if v == "SELF" else v for k, v in headers.items()}
    req = urllib.request.Request(
        base + "run",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            got, page = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        got, page = e.code, e.read().decode()
    assert got == status
    if status == 403:
        assert "this page itself" in page or "Reload the page" in page


def test_pages_ask_for_a_same_origin_referrer(base: str) -> None:
    with urllib.request.urlopen(base, timeout=30) as r:
        assert r.headers["Referrer-Policy"] == "same-origin"
        page = r.read().decode()
    # every form that posts carries the token
    forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", page, re.S)
    assert forms and all('name="token"' in f for f in forms)


def _multipart_fields(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    b = "fieldsB"
    out = b""
    for k, v in fields.items():
        out += f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    file_body, _ = _multipart(filename, data, b)
    return out + file_body, f"multipart/form-data; boundary={b}"


def test_upload_cp1251_needs_and_takes_the_encoding(base: str) -> None:
    text = "ответ,группа\n" + "\n".join(f"{i % 4},{i % 2}" for i in range(60)) + "\n"
    raw = text.encode("cp1251")
    body, ctype = _multipart("ru.csv", raw)
    status, page, _ = _post(base + "upload", body, ctype)
    assert status == 400 and "choose the text encoding" in _error(page)
    body, ctype = _multipart_fields({"encoding": "cp1251"}, "ru.csv", raw)
    status, page, _ = _post(base + "upload", body, ctype)
    assert status == 200 and '<option value="ответ"' in page
    body, ctype = _multipart_fields({"encoding": "rot13"}, "ru.csv", raw)
    status, page, _ = _post(base + "upload", body, ctype)
    assert status == 400 and "Unknown text encoding" in _error(page)


def test_upload_errors_name_the_users_file_in_plain_words(base: str, tmp_path) -> None:
    import pyreadstat

    pd = pytest.importorskip("pandas")
    sav = tmp_path / "x.sav"
    pyreadstat.write_sav(pd.DataFrame({"a": [1.0, 2.0]}), str(sav))
    cases = [
        ("опрос.csv", "ответ,группа\n1,0\n".encode("cp1251"), "text encoding cp1251"),
        ("u16.csv", "a,b\n1,2\n".encode("utf-16"), "choose the text encoding utf-16"),
        ("survey.csv", sav.read_bytes(), "give the file a .sav name"),
        ("../../etc/passwd.csv", b"a,b\n", "no data rows"),
    ]
    for name, raw, expected in cases:
        body, ctype = _multipart(name, raw)
        status, page, _ = _post(base + "upload", body, ctype)
        message = _error(page)
        assert status == 400 and expected in message, message
        assert Path(name).name in message  # the user's file name, not a temporary one
        for syntax in ("encoding='", "format='", "--", "command line", "upload-"):
            assert syntax not in message


def test_query_values_are_escaped_in_the_form(base: str) -> None:
    evil = '"><script>alert(1)</script>'
    status, page = _get(base + "?data=race&analysis=list&J=" + urllib.parse.quote(evil))
    assert status == 200
    assert "<script>alert(1)" not in page and html.escape(evil) in page


def _broken_job(source: str, key: str, form: dict, label: str) -> None:
    raise RuntimeError("simulated bug")


def test_unexpected_failure_gives_500_and_server_keeps_running(base: str, monkeypatch) -> None:
    from unspoken.web import jobs

    monkeypatch.setattr(jobs, "run_analysis", _broken_job)
    status, page, _ = _run(base, **LIST_FORM)
    assert status == 500
    assert "simulated bug" in _error(page) and "Traceback" not in page
    _alive(base)


@pytest.fixture()
def quick() -> Iterator[str]:
    """A server whose analyses are stopped after 0.5 s and whose clients may pause 1 s."""
    from unspoken.web.server import Handler

    old = Handler.timeout
    Handler.timeout = 1
    server = make_server("127.0.0.1", 0, quiet=True, timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url_of(server)
    finally:
        Handler.timeout = old
        server.shutdown()
        server.server_close()


def test_slow_analysis_is_stopped_while_the_page_keeps_answering(quick: str) -> None:
    import time

    out: list = []
    form = dict(
        data="putin_approval",
        analysis="polls",
        share="approve",
        pollster="pollster",
        date="date",
        n="",
        default_n="Levada=1600, FOM=1500, VCIOM=1600",
        dk_col="hard_to_say",
        scale="decided",
        period="day",
        units="auto",
    )  # fmt: skip  (takes about 1.4 s)
    worker = threading.Thread(target=lambda: out.append(_run(quick, **form)))
    worker.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    _alive(quick)
    assert time.monotonic() - t0 < 0.5  # answered while the analysis runs
    worker.join(30)
    status, page, _ = out[0]
    assert status == 400
    assert "took longer than" in _error(page) and "Traceback" not in page
    _alive(quick)


def test_body_shorter_than_its_length_times_out_quietly(quick: str, capfd) -> None:
    import socket
    import time

    host, port = urllib.parse.urlsplit(quick).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /run HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000\r\n\r\ndata=race"
        )
        t0 = time.monotonic()
        assert sock.recv(1024) == b""  # the server closes the connection
        assert time.monotonic() - t0 < 5
    _alive(quick)
    err = capfd.readouterr().err
    assert "Traceback" not in err


def test_formula_that_froze_the_server_is_refused_on_the_page(base: str) -> None:
    """Issue 9: `I(age ** 9 ** 9 ** 9)` ran until killed and blocked every page."""
    import time

    t0 = time.monotonic()
    form = {**LIST_FORM, "method": "ml", "covariates": "I(age ** 9 ** 9 ** 9)"}
    status, page, _ = _run(base, **form)
    assert status == 400 and "powers of powers" in _error(page)
    assert time.monotonic() - t0 < 5
    _alive(base)
