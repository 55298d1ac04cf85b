"""Read the fenced code blocks of a Markdown page and run them (helpers of test_docs_run.py;
the conventions are described in that module's docstring)."""

from __future__ import annotations

import contextlib
import difflib
import io
import re
import shlex
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYTHON = frozenset({"python"})
SHELL = frozenset({"bash", "console", "sh"})
OUTPUT = frozenset({"text"})
KNOWN = PYTHON | SHELL | OUTPUT

DIRECTIVES = frozenset({"skip", "xfail", "slow", "expect-exit"})
# directives that must say why
NEEDS_REASON = frozenset({"skip", "xfail", "slow"})

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_MARKER = re.compile(
    r"^\s*<!--\s*doc-test:\s*(?P<directive>[a-z-]+)(?:\s+(?P<arg>[^\s(]+))?"
    r"\s*(?:\((?P<reason>.*)\))?\s*-->\s*$"
)
_ANY_MARKER = re.compile(r"<!--\s*doc-test")


class DocFormatError(ValueError):
    """A page does not follow the conventions (unknown block type, bad or stray marker)."""


@dataclass(frozen=True)
class Marker:
    directive: str
    arg: str | None
    reason: str | None
    line: int


@dataclass
class Block:
    """One fenced block: ``line`` is the 1-based line of its opening fence."""

    page: str
    line: int
    lang: str
    source: str
    markers: list[Marker] = field(default_factory=list)
    expected: Block | None = None  # the ```text block showing this block's output

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    def marker(self, directive: str) -> Marker | None:
        return next((m for m in self.markers if m.directive == directive), None)

    @property
    def runnable(self) -> bool:
        return self.lang in PYTHON | SHELL


def _parse_marker(text: str, line: int, page: str) -> Marker:
    m = _MARKER.match(text)
    if m is None:
        raise DocFormatError(
            f"{page}:{line}: malformed marker {text.strip()!r}; expected "
            "'<!-- doc-test: DIRECTIVE [ARG] [(REASON)] -->'"
        )
    d, arg, reason = m["directive"], m["arg"], (m["reason"] or "").strip() or None
    if d not in DIRECTIVES:
        raise DocFormatError(f"{page}:{line}: unknown doc-test directive {d!r}")
    if d in NEEDS_REASON and reason is None:
        raise DocFormatError(f"{page}:{line}: '{d}' needs a reason in parentheses")
    if d == "expect-exit" and (arg is None or not arg.isdigit()):
        raise DocFormatError(f"{page}:{line}: 'expect-exit' needs an exit status, e.g. 2")
    if d != "expect-exit" and arg is not None:
        raise DocFormatError(f"{page}:{line}: '{d}' takes no argument (got {arg!r})")
    return Marker(d, arg, reason, line)


def parse_page(text: str, page: str) -> list[Block]:
    """The fenced blocks of a page, with their markers and expected outputs attached.

    Raises DocFormatError for a fence without a known info string, a marker that is not
    directly above a fence, a ```text block that does not follow a runnable block, or a
    directive that does not apply to its block."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: list[Marker] = []
    i = 0
    while i < len(lines):
        raw = lines[i]
        m = _FENCE.match(raw)
        if _ANY_MARKER.search(raw):
            pending.append(_parse_marker(raw, i + 1, page))
            i += 1
            continue
        if m is None:
            if raw.strip() and pending:
                raise DocFormatError(
                    f"{page}:{pending[0].line}: marker is not directly above a code block"
                )
            i += 1
            continue
        fence, info = m["fence"], m["info"].strip()
        lang = info.split()[0].lower() if info else ""
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            close = lines[i].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            body.append(lines[i])
            i += 1
        else:
            raise DocFormatError(f"{page}:{start + 1}: code block is never closed")
        i += 1
        if lang not in KNOWN:
            raise DocFormatError(
                f"{page}:{start + 1}: code block with info string {info!r}: tag it "
                f"{', '.join(sorted(KNOWN))} (formulas go in indented blocks, not fences)"
            )
        indent = len(m["indent"])
        source = "\n".join(b[indent:] if b[:indent].isspace() else b for b in body)
        blocks.append(Block(page, start + 1, lang, source + "\n", pending))
        pending = []
    if pending:
        raise DocFormatError(f"{page}:{pending[0].line}: marker is not above a code block")
    _attach_outputs(blocks)
    return blocks


def _attach_outputs(blocks: list[Block]) -> None:
    previous: Block | None = None
    for b in blocks:
        for mk in b.markers:
            if b.lang in OUTPUT:
                raise DocFormatError(f"{b.where}: markers go on the code block, not its output")
            if mk.directive == "expect-exit" and b.lang not in SHELL:
                raise DocFormatError(f"{b.where}: 'expect-exit' applies to shell blocks only")
        if b.lang in OUTPUT:
            if previous is None or not previous.runnable or previous.expected is not None:
                raise DocFormatError(
                    f"{b.where}: a ```text block must show the output of the code block "
                    "just before it, and that one shows none yet"
                )
            if previous.marker("skip"):
                raise DocFormatError(f"{b.where}: shows the output of a skipped block")
            previous.expected = b
        previous = b


# --------------------------------------------------------------------------- shell lines


def shell_commands(source: str) -> list[tuple[int, list[str]]]:
    """(offset of the first physical line, argv) for each command of a shell block:
    ``\\`` continuations joined, ``#`` comments dropped, a leading ``$ `` prompt removed."""
    out: list[tuple[int, list[str]]] = []
    lines = source.splitlines()
    k = 0
    while k < len(lines):
        first = k
        logical = lines[k]
        while logical.rstrip().endswith("\\") and k + 1 < len(lines):
            k += 1
            logical = logical.rstrip()[:-1] + " " + lines[k].strip()
        k += 1
        logical = logical.strip()
        if logical.startswith("$ "):
            logical = logical[2:]
        argv = shlex.split(logical, comments=True)
        if argv:
            out.append((first, argv))
    return out


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    stdout: str
    error: str | None  # None: the block did what the page says (exit status, no exception)


def run_python(block: Block, namespace: dict[str, Any]) -> Outcome:
    """Execute a Python block in ``namespace``; tracebacks carry the page's line numbers."""
    code = compile("\n" * block.line + block.source, block.page, "exec")
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(code, namespace)
    except Exception:
        return Outcome(buf.getvalue(), traceback.format_exc(limit=-8))
    return Outcome(buf.getvalue(), None)


def run_shell(
    block: Block,
    entry: Callable[[list[str]], Any],
    allowlist: Mapping[str, str],
) -> Outcome:
    """Run each ``unspoken ...`` line through ``entry(argv)`` in-process and check its exit
    status (0, or the block's ``expect-exit``); other lines must be in ``allowlist``."""
    mk = block.marker("expect-exit")
    want = int(mk.arg) if mk and mk.arg else 0
    stdout = io.StringIO()
    try:
        commands = shell_commands(block.source)
    except ValueError as e:  # shlex: unbalanced quotes
        return Outcome("", f"{block.where}: cannot split the block into commands: {e}")
    for offset, argv in commands:
        line = block.line + 1 + offset
        if argv[0] != "unspoken":
            if shlex.join(argv) not in allowlist:
                return Outcome(
                    stdout.getvalue(),
                    f"{block.page}:{line}: {shlex.join(argv)!r} is not an unspoken command and "
                    "not in the test's allowlist of non-unspoken lines",
                )
            continue
        err = io.StringIO()
        status: int | str = 0
        tb = ""
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(err):
                entry(argv[1:])
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except Exception:
            status = "an exception"
            tb = traceback.format_exc(limit=-8)
        if status != want:
            return Outcome(
                stdout.getvalue(),
                f"{block.page}:{line}: {shlex.join(argv)} exited with {status} "
                f"(expected {want})\n--- stderr ---\n{err.getvalue()}{tb}",
            )
    return Outcome(stdout.getvalue(), None)


# --------------------------------------------------------------------------- output


def normalise(text: str, rules: Mapping[str, str] | None = None) -> str:
    """Each regex of ``rules`` replaced by its replacement (volatile bits such as temporary
    paths); then trailing spaces on each line and blank lines at either end removed."""
    for pattern, repl in (rules or {}).items():
        text = re.sub(pattern, repl, text)
    lines = [ln.rstrip() for ln in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def output_diff(block: Block, actual: str, rules: Mapping[str, str] | None = None) -> str | None:
    """None when ``actual`` matches the block's ```text block, else a unified diff."""
    assert block.expected is not None
    want = normalise(block.expected.source, rules)
    got = normalise(actual, rules)
    if want == got:
        return None
    diff = difflib.unified_diff(
        want.splitlines(),
        got.splitlines(),
        f"{block.expected.where} (the page)",
        f"output of {block.where} (now)",
        lineterm="",
    )
    return "\n".join(diff)


def run_page(
    blocks: list[Block],
    entry: Callable[[list[str]], Any],
    allowlist: Mapping[str, str],
    rules: Mapping[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    """Run a page's blocks in order (Python blocks share one namespace) and return
    (problems, timings): one message per block that failed, printed other output than the
    page shows, or is marked xfail but ran."""
    namespace: dict[str, Any] = {"__name__": "__doc_page__"}
    problems: list[str] = []
    timings: list[str] = []
    for b in blocks:
        if not b.runnable or b.marker("skip"):
            continue
        t0 = time.perf_counter()
        run = run_python(b, namespace) if b.lang in PYTHON else run_shell(b, entry, allowlist)
        timings.append(f"{b.where} {time.perf_counter() - t0:.2f} s")
        xfail = b.marker("xfail")
        if xfail is not None:
            if run.error is None:
                problems.append(f"{b.where}: marked xfail ({xfail.reason}) but runs: remove it")
        elif run.error is not None:
            problems.append(f"{b.where}: block failed\n{run.error}")
        elif b.expected is not None:
            diff = output_diff(b, run.stdout, rules)
            if diff is not None:
                problems.append(f"{b.where}: printed output differs from the page\n{diff}")
    return problems, timings


def pages(root: Path) -> list[Path]:
    """README.md and docs/*.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]
