"""What a person does on the page (choose data, fill a form, press Run, download), and the
checks the browser tests share: the page's numbers against the command line's ``--json``,
a self-contained report, no Python or command-line syntax in what the page says."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, Response

from unspoken.cli.main import main as cli_main

REL = 1e-10  # the page and the command line run the same computation: equal to rounding
ABS = 1e-12  # for numbers that are zero up to rounding (gradient norms, zero s.e.)
TIMINGS = frozenset({"elapsed_s"})  # how long a fit took: differs from run to run
CLI_SYNTAX = ("Traceback", "--", "=<")


# --------------------------------------------------------------------------- a person's actions


def go_home(page: Page, url: str) -> None:
    page.goto(url, wait_until="load")


def submit(page: Page, button: Locator) -> Response:
    """Click a button that submits a form; the final response once the new page loaded."""
    with page.expect_navigation(wait_until="load") as nav:
        button.click()
    response = nav.value
    assert response is not None
    return response


def choose_data(page: Page, url: str, name: str) -> Response:
    """Pick a bundled data set from the list and press 'Use this data'."""
    go_home(page, url)
    page.get_by_label("Data set", exact=True).select_option(name)
    return submit(page, page.get_by_role("button", name="Use this data"))


def upload(page: Page, url: str, path: Path) -> Response:
    """Choose a file in 'Your own file' and press 'Upload'."""
    go_home(page, url)
    page.locator("#file").set_input_files(str(path))
    return submit(page, page.get_by_role("button", name="Upload"))


def choose_analysis(page: Page, title: str) -> None:
    """Click the analysis's tab."""
    tabs = page.get_by_role("navigation", name="Analyses")
    submit(page, tabs.get_by_role("link", name=title, exact=True))


def field(page: Page, name: str) -> Locator:
    """The form input of the field ``name`` (its id is ``f-NAME``)."""
    return page.locator(f"#f-{name}")


def reveal(page: Page, name: str) -> Locator:
    """The field ``name``, opening "More options" first when it is folded away there."""
    loc = field(page, name)
    if not loc.is_visible():
        page.locator("summary").filter(has_text="More options").click()
        loc.wait_for(state="visible")
    return loc


def set_field(page: Page, name: str, value: str | bool) -> None:
    """Select an option, tick a box or type into a text field, as a person would."""
    loc = reveal(page, name)
    kind = loc.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind.startswith("select"):
        loc.select_option(str(value))
    elif kind == "input:checkbox":
        loc.set_checked(bool(value))
    else:
        loc.fill(str(value))


def run(page: Page) -> Response:
    """Press Run and wait for the page that comes back (the result, or the form's errors)."""
    return submit(page, page.get_by_role("button", name="Run", exact=True))


def run_form(page: Page, url: str, data: str, tab: str, fields: dict[str, Any]) -> Response:
    """Choose the bundled data set and the analysis's tab, fill the fields, press Run."""
    choose_data(page, url, data)
    choose_analysis(page, tab)
    for name, value in fields.items():
        set_field(page, name, value)
    return run(page)


def download(page: Page, link: str, dest: Path) -> Path:
    """Click a download link; the file, saved under ``dest``."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    d = info.value
    assert d.failure() is None, d.failure()
    path = dest / d.suggested_filename
    d.save_as(str(path))
    return path


def headline(page: Page) -> str:
    """The report's headline sentences, as shown in the report frame."""
    frame = page.frame_locator('iframe[title="Report"]')
    loc = frame.locator(".headline")
    loc.first.wait_for()
    return "\n".join(loc.all_inner_texts())


def body_text(page: Page) -> str:
    return page.locator("body").inner_text()


def no_scroll_overflow(page: Page, width: int, slack: int = 2) -> None:
    """The page body does not scroll sideways at this width."""
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(sizes) <= width + slack, f"page is {sizes} px wide at a {width} px viewport"


# --------------------------------------------------------------------------- the command line


def cli_json(args: list[str]) -> Any:
    """``unspoken ARGS --json`` run through the entry point in this process: its JSON."""
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli_main([*args, "--json"])
        except SystemExit as e:
            code = e.code
    assert code in (0, None), f"unspoken {' '.join(args)} failed ({code}): {err.getvalue()}"
    return json.loads(out.getvalue())


def page_and_cli_json(page: Page, dest: Path, args: list[str]) -> tuple[Any, Any]:
    """The numbers the page offers for download (saved under ``dest``), and
    ``unspoken ARGS --json``."""
    web = json.loads(download(page, "Download the numbers (JSON)", dest).read_text("utf-8"))
    return web, cli_json(args)


def run_and_compare(page: Page, dest: Path, args: list[str]) -> tuple[Any, Any]:
    """Press Run on a filled form: the result comes back in plain words and its numbers
    equal ``unspoken ARGS --json``'s. Both JSONs."""
    response = run(page)
    assert response.status == 200, page.locator("body").inner_text()
    assert_plain_words(page.locator("body").inner_text())
    web, cli = page_and_cli_json(page, dest, args)
    assert assert_same(web, cli) > 0
    return web, cli


def assert_same(web: Any, cli: Any, where: str = "$", ignore: frozenset[str] = frozenset()) -> int:
    """The page's JSON equals the command line's: the same keys and texts everywhere, every
    number equal to ``REL`` relative (``ABS`` near zero). Keys in ``ignore`` are skipped.
    Returns how many numbers were compared."""
    ignore = ignore | TIMINGS
    if isinstance(cli, dict):
        assert isinstance(web, dict), f"{where}: {type(web).__name__}, expected an object"
        assert set(web) - ignore == set(cli) - ignore, (
            f"{where}: keys {sorted(set(web) ^ set(cli))} differ"
        )
        return sum(
            assert_same(web[k], cli[k], f"{where}.{k}", ignore) for k in cli if k not in ignore
        )
    if isinstance(cli, list):
        assert isinstance(web, list) and len(web) == len(cli), f"{where}: lists differ in length"
        return sum(
            assert_same(w, c, f"{where}[{i}]", ignore)
            for i, (w, c) in enumerate(zip(web, cli, strict=True))
        )
    if isinstance(cli, bool) or cli is None or isinstance(cli, str):
        assert web == cli, f"{where}: page {web!r}, command line {cli!r}"
        return 0
    assert isinstance(web, int | float) and not isinstance(web, bool), f"{where}: {web!r}"
    if math.isnan(cli):
        assert math.isnan(web), f"{where}: page {web!r}, command line NaN"
    else:
        assert math.isclose(web, cli, rel_tol=REL, abs_tol=ABS), (
            f"{where}: page {web!r}, command line {cli!r}"
        )
    return 1


# --------------------------------------------------------------------------- reports


def pct(x: float) -> str:
    """A share as the report shows it: one decimal of a percent."""
    return f"{100 * x:.1f}%"


def prevalence_shown(j: dict) -> list[str]:
    """The prevalence and its interval as the headline shows them."""
    e = j["prevalence"]
    return [pct(e["estimate"]), pct(e["ci_low"]), pct(e["ci_high"])]


def in_order(text: str, tokens: list[str]) -> None:
    """Each token appears in ``text``, in this order."""
    at = 0
    for t in tokens:
        i = text.find(t, at)
        assert i >= 0, f"{t!r} is not in the headline (after position {at}): {text!r}"
        at = i + len(t)


_URL_ATTR = re.compile(
    r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I
)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?\s*(?:https?:)?//|@import)""", re.I)


def assert_self_contained(html_text: str) -> None:
    """A report file that needs nothing from elsewhere: no http(s) or protocol-relative
    URL in an attribute, no remote CSS, no external script or stylesheet."""
    assert html_text.lstrip().lower().startswith("<!doctype html"), html_text[:80]
    assert not _URL_ATTR.findall(html_text), _URL_ATTR.findall(html_text)[:5]
    assert not _CSS_URL.findall(html_text), _CSS_URL.findall(html_text)[:5]
    assert not re.search(r"<script[^>]*\bsrc\s*=", html_text, re.I)
    assert not re.search(r"<link[^>]*rel\s*=\s*[\"']?stylesheet", html_text, re.I)


def assert_plain_words(text: str) -> None:
    """What the page says has no traceback and no Python or command-line syntax."""
    found = [s for s in CLI_SYNTAX if s in text]
    assert not found, f"the page shows {found}: {text!r}"
