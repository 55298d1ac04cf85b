"""The block reader and runner behind test_docs_run.py catch what they are meant to catch."""

from __future__ import annotations

import sys

import pytest
from doc_blocks import DocFormatError, parse_page, run_page, shell_commands

FENCE = "```"


def page(*parts: str) -> str:
    return "\n".join(parts) + "\n"


def fake_entry(calls: list[list[str]]):
    """A stand-in for unspoken's main(): prints its argv, exits 2 on 'fail'."""

    def entry(argv: list[str]) -> None:
        calls.append(argv)
        if argv and argv[0] == "fail":
            sys.exit(2)
        print(" ".join(argv))

    return entry


def test_parse_blocks_outputs_and_markers():
    text = page(
        "# t",
        f"{FENCE}python",
        "print(1 + 1)",
        FENCE,
        "prints:",
        f"{FENCE}text",
        "2",
        FENCE,
        "<!-- doc-test: skip (waits for Ctrl-C) -->",
        "",
        f"{FENCE}bash",
        "unspoken serve",
        FENCE,
    )
    blocks = parse_page(text, "p.md")
    assert [(b.lang, b.line) for b in blocks] == [("python", 2), ("text", 6), ("bash", 11)]
    assert blocks[0].expected is blocks[1]
    assert blocks[2].marker("skip").reason == "waits for Ctrl-C"


@pytest.mark.parametrize(
    "text, message",
    [
        (page(FENCE, "x", FENCE), "info string ''"),
        (page(f"{FENCE}json", "{}", FENCE), "info string 'json'"),
        (page(f"{FENCE}text", "2", FENCE), "must show the output"),
        (page(f"{FENCE}python", "1", FENCE, f"{FENCE}text", "1", FENCE, f"{FENCE}text", FENCE),
         "must show the output"),
        (page("<!-- doc-test: skip -->", f"{FENCE}bash", "unspoken x", FENCE), "needs a reason"),
        (page("<!-- doc-test: skip (why) -->", "prose", f"{FENCE}bash", FENCE), "not directly"),
        (page("<!-- doc-test: ignore (why) -->", f"{FENCE}bash", FENCE), "unknown doc-test"),
        (page("<!-- doc-test: expect-exit -->", f"{FENCE}bash", FENCE), "needs an exit status"),
        (page("<!-- doc-test: expect-exit 2 -->", f"{FENCE}python", FENCE), "shell blocks only"),
        (page("<!-- doc-test skip -->", f"{FENCE}bash", FENCE), "malformed"),
        (page(f"{FENCE}python", "x = 1"), "never closed"),
        (page("<!-- doc-test: skip (why) -->"), "not above a code block"),
    ],
)  # fmt: skip
def test_parse_refuses(text, message):
    with pytest.raises(DocFormatError, match=message):
        parse_page(text, "p.md")


def test_shell_commands_join_continuations_and_drop_comments():
    src = page(
        "# a comment line",
        'unspoken list race --formula "y ~ 1" \\',
        "    --J 3   # trailing comment",
        "",
        "$ unspoken datasets",
    )
    assert shell_commands(src) == [
        (1, ["unspoken", "list", "race", "--formula", "y ~ 1", "--J", "3"]),
        (4, ["unspoken", "datasets"]),
    ]


def _run(text: str, allow: dict[str, str] | None = None):
    calls: list[list[str]] = []
    problems, _ = run_page(parse_page(text, "p.md"), fake_entry(calls), allow or {})
    return problems, calls


def test_output_must_match_exactly():
    ok = page(f"{FENCE}python", "print(0.1553)", FENCE, f"{FENCE}text", "0.1553  ", "", FENCE)
    assert _run(ok)[0] == []
    stale = page(f"{FENCE}python", "print(0.1553)", FENCE, f"{FENCE}text", "0.155", FENCE)
    (problem,) = _run(stale)[0]
    assert "p.md:1: printed output differs" in problem and "-0.155\n+0.1553" in problem


def test_python_blocks_share_a_namespace_and_report_the_page_line():
    text = page(f"{FENCE}python", "x = 2", FENCE, "", f"{FENCE}python", "", "print(y)", FENCE)
    (problem,) = _run(text)[0]
    assert "p.md:5: block failed" in problem and 'File "p.md", line 7' in problem
    assert "NameError: name 'y'" in problem
    assert _run(page(f"{FENCE}python", "x = 2", FENCE, f"{FENCE}python", "x + 1", FENCE))[0] == []


def test_shell_exit_status_and_allowlist():
    problems, calls = _run(page(f"{FENCE}bash", "unspoken a b", "unspoken fail", FENCE))
    assert calls == [["a", "b"], ["fail"]]
    assert "p.md:3: unspoken fail exited with 2 (expected 0)" in problems[0]
    text = page("<!-- doc-test: expect-exit 2 -->", f"{FENCE}bash", "unspoken fail", FENCE)
    assert _run(text)[0] == []
    assert "not in the test's allowlist" in _run(page(f"{FENCE}sh", "pip install x", FENCE))[0][0]
    assert _run(page(f"{FENCE}sh", "pip install x", FENCE), {"pip install x": "why"})[0] == []


def test_shell_output_is_compared():
    text = page(f"{FENCE}bash", "unspoken a", "unspoken b", FENCE, f"{FENCE}text", "a", "b", FENCE)
    assert _run(text)[0] == []
    text = page(f"{FENCE}bash", "unspoken a", FENCE, f"{FENCE}text", "b", FENCE)
    assert "differs" in _run(text)[0][0]


def test_skip_and_xfail_markers():
    skipped = page("<!-- doc-test: skip (blocks) -->", f"{FENCE}bash", "unspoken fail", FENCE)
    assert _run(skipped) == ([], [])
    xfail = page("<!-- doc-test: xfail (bug #1) -->", f"{FENCE}python", "1 / 0", FENCE)
    assert _run(xfail)[0] == []
    fixed = page("<!-- doc-test: xfail (bug #1) -->", f"{FENCE}python", "1 / 1", FENCE)
    assert "marked xfail (bug #1) but runs" in _run(fixed)[0][0]
