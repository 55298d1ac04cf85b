"""Every fenced code block of README.md and docs/*.md runs, and shown output is what the code
prints now (issue 9, "documentation that runs").

Conventions of the pages (enforced by ``doc_blocks.parse_page``):

* A fence must be tagged ``python``, ``bash`` (or ``sh``/``console``) or ``text``; anything
  else (including an untagged fence) fails. Formulas and other displays that are not code
  are indented blocks (four spaces), which are not run; ``test_indented_blocks_hold_no_code``
  checks that no command or Python statement hides in one.
* ``python`` blocks of a page run in order in one namespace (one per page), in a fresh
  temporary working directory (files such as gap.png land there), with matplotlib's Agg
  backend. Tracebacks carry the page's own line numbers.
* ``bash`` blocks: each command (``\\`` continuations joined, ``#`` comments dropped, a
  leading ``$ `` removed) that starts with ``unspoken`` runs in-process through
  ``unspoken.cli.main.main(argv)`` (shlex splitting) and must exit with status 0. Any other
  command must be listed in ``NOT_UNSPOKEN`` below with the reason it is not run.
* A ``text`` block is the expected output of the nearest code block before it on the page
  (prose may come between, another fence may not): everything that block prints on stdout
  (for a shell block, all its commands' stdout in order; stderr — warnings, "Plot written
  to ..." — is not compared). Lines compare exactly after removing trailing spaces and
  leading/trailing blank lines; numbers are never rounded or loosened. CLI output is
  rendered at 100 columns (``COLUMNS=100``), as the pages show it. ``VOLATILE`` lists the
  regex rules for bits that change from run to run (none are needed today). Comments such
  as ``# -> 3,391`` are not a way to show output: put it in a ``text`` block.

Markers are HTML comments (invisible on the rendered page) on the line(s) directly above a
code block (blank lines may come between, prose may not):

* ``<!-- doc-test: skip (REASON) -->`` — the block is not run (e.g. a server that waits for
  Ctrl-C). The reason is required.
* ``<!-- doc-test: expect-exit N -->`` — each command of this shell block must exit with
  status N (a block that shows an error on purpose).
* ``<!-- doc-test: xfail (BUG) -->`` — the block is known to fail because of a bug in
  src/ (name it); the test fails if the block passes, so the marker goes when the bug does.
  Later blocks of the page still run.
* ``<!-- doc-test: slow (REASON) -->`` — the page's test gets ``pytest.mark.slow``.

There is one test per page (``test_page_runs[docs/gap.md]``); a failure names the page and
the line of the block's opening fence.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from doc_blocks import (
    SHELL,
    Block,
    DocFormatError,
    pages,
    parse_page,
    run_page,
    shell_commands,
)

ROOT = Path(__file__).resolve().parents[2]

# Shell lines that do not start with `unspoken`: exact command text -> why the test does not
# run it. Every entry must still occur on some page (test_allowlist_is_used).
NOT_UNSPOKEN: dict[str, str] = {
    "bash scripts/demo": "creates .venv and installs the package: the suite already runs "
    "inside that environment (the demo itself is `unspoken demo`, run from README.md)",
    "bash scripts/test": "runs this very test suite",
}

# regex -> replacement, applied to expected and actual output before comparing
VOLATILE: dict[str, str] = {}


def _page_ids() -> list[str]:
    return [str(p.relative_to(ROOT)) for p in pages(ROOT)]


def _blocks(page: str) -> list[Block]:
    return parse_page((ROOT / page).read_text(encoding="utf-8"), page)


def _params() -> list:
    out = []
    for page in _page_ids():
        try:
            slow = any(b.marker("slow") for b in _blocks(page))
        except DocFormatError:
            slow = False  # reported by test_page_runs itself
        out.append(pytest.param(page, marks=[pytest.mark.slow] if slow else [], id=page))
    return out


@pytest.fixture
def doc_env(tmp_path, monkeypatch):
    """A fresh working directory and a plain 100-column terminal for the rich tables."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "LINES"):
        monkeypatch.delenv(var, raising=False)
    import matplotlib

    matplotlib.use("Agg")
    return tmp_path


def test_pages_found():
    ids = _page_ids()
    assert "README.md" in ids and "docs/gap.md" in ids and len(ids) >= 7, ids


@pytest.mark.parametrize("page", _params())
def test_page_runs(page: str, doc_env: Path) -> None:
    from unspoken.cli.main import main

    try:
        blocks = _blocks(page)
    except DocFormatError as e:
        pytest.fail(str(e), pytrace=False)
    problems, timings = run_page(blocks, main, NOT_UNSPOKEN, VOLATILE)
    print("\n".join(timings))
    assert not problems, "\n\n".join(problems)


def test_allowlist_is_used() -> None:
    """Every NOT_UNSPOKEN entry is a line some page has (no stale exemptions)."""
    seen: set[str] = set()
    for page in _page_ids():
        for b in _blocks(page):
            if b.lang in SHELL:
                seen.update(shlex.join(argv) for _, argv in shell_commands(b.source))
    assert set(NOT_UNSPOKEN) <= seen, set(NOT_UNSPOKEN) - seen


def test_fences_agree_with_a_markdown_parser() -> None:
    """The block reader finds the same fences as CommonMark (markdown-it-py, which rich
    depends on): no block is missed, e.g. inside a list item."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    for page in _page_ids():
        tokens = md.parse((ROOT / page).read_text(encoding="utf-8"))
        fences = [t.map[0] + 1 for t in tokens if t.type == "fence" and t.map]
        assert [b.line for b in _blocks(page)] == fences, page


_CODE_STARTS = ("unspoken ", "import ", "from ", ">>> ", "$ ", "print(", "bash ", "python ")


def test_indented_blocks_hold_no_code() -> None:
    """Indented blocks are for formulas; a command or statement there would escape the test."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    for page in _page_ids():
        for t in md.parse((ROOT / page).read_text(encoding="utf-8")):
            if t.type == "code_block":
                for ln in t.content.splitlines():
                    assert not ln.lstrip().startswith(_CODE_STARTS), (
                        f"{page}:{t.map[0] + 1}: indented block holds code {ln.strip()!r}; "
                        "use a fenced, tagged block"
                    )
