"""An estimator's error as the page shows it: next to the field it is about, in plain words.

The estimators write their messages for Python and command-line users ("pass control=<value>
(on the command line --control VALUE)"). :func:`form_error` finds the field (see
:func:`find_field`: first the error's ``param``, then what the message itself points at, then
its ``column``) and rewrites the message without Python or command-line syntax, naming
fields by their labels (:func:`plain`); a few frequent errors get hand-written words.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from unspoken.web.forms.fields import COLUMN_KINDS, Analysis, Field, FormError

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]")
_CLI_ASIDE = re.compile(r"\s*\([^()]*(?:command line|\bCLI\b|--[a-z])[^()]*\)", re.I)
_PASS = re.compile(
    r"\b(?:pass|give|set|use)\s+([A-Za-z_]\w*)=(?:<[^>]*>|\.\.\.|\{[^{}]*\}|(?=[\s),;.]|$))"
)
_ASIDE = re.compile(r"\(\s*([A-Za-z_]\w*)=(?:\.\.\.|<[^>]*>)?\s*\)")
_ASSIGN = re.compile(r"\b([A-Za-z_]\w*)=(?:'([^']*)'|\"([^\"]*)\"|(\.\.\.|<[^>]*>)|([\w.+-]+))?")
_NAME = re.compile(r"(?<!['\"\w])([a-z]+_[a-z_0-9]+)\b(?!['\"])")  # an argument name like min_n
_PAREN = re.compile(r"\(([A-Za-z_]\w*)\)")  # "(dk)": an argument named in brackets
_DAY_OR_MONTH = re.compile(r"dates like ('[^']*').*\bdate_format\b", re.S)
_FLAG = re.compile(r"(?<![\w-])--([a-z][\w-]*)(?:\s+[A-Z][A-Z_=]*\b)?")


def _values_text(s: pd.Series, limit: int = 8) -> str:
    counts = s.dropna().value_counts(sort=False)
    with contextlib.suppress(TypeError):  # mixed types stay in order of appearance
        counts = counts.sort_index()
    items = [f"{v} ({c:,} rows)" for v, c in counts.items()]
    if len(items) > limit:
        items = [*items[:limit], f"and {len(items) - limit} more"]
    if len(items) > 1 and len(counts) <= limit:
        return ", ".join(items[:-1]) + " and " + items[-1]
    return ", ".join(items)


def _quoted(analysis: Analysis, msg: str, values: dict[str, Any], kinds: tuple) -> Field | None:
    """The field of ``kinds`` whose value the message quotes."""
    for f in analysis.fields:
        value = values.get(f.name)
        if not isinstance(value, str) or f.kind not in kinds:
            continue
        if f"'{value}'" in msg or (f.kind == "covariates" and len(value) > 2 and value in msg):
            return f
    return None


def find_field(analysis: Analysis, exc: BaseException, values: dict[str, Any]) -> Field | None:
    """The field an error belongs to, or None for the form as a whole: the error's
    ``param``; an argument the message asks to set ("pass control=..."); a typed value the
    message quotes; the error's ``column``; a column the message quotes; an argument or
    option the message names."""
    f = analysis.field_for_param(getattr(exc, "param", None))
    if f is not None:
        return f
    msg = str(exc)
    for m in _PASS.finditer(msg):
        f = analysis.field_for_param(m.group(1))
        if f is not None:
            return f
    f = _quoted(analysis, msg, values, ("text", "covariates"))
    if f is not None:
        return f
    column = getattr(exc, "column", None)
    if column is not None:
        for f in analysis.fields:
            if f.kind in COLUMN_KINDS and values.get(f.name) == column:
                return f
        for f in analysis.fields:
            text = values.get(f.name)
            if f.kind == "covariates" and text and column in re.findall(r"[\w.]+", text):
                return f
    f = _quoted(analysis, msg, values, COLUMN_KINDS)
    if f is not None:
        return f
    for m in _ASSIGN.finditer(msg):
        f = analysis.field_for_param(m.group(1))
        if f is not None:
            return f
    for m in _FLAG.finditer(msg):
        f = analysis.field_for_param(m.group(1).replace("-", "_"))
        if f is not None:
            return f
    return None


def _label(analysis: Analysis, name: str) -> str:
    f = analysis.field_for_param(name)
    return f"“{f.label}”" if f is not None else name.replace("_", " ")


def _known(analysis: Analysis, template: str) -> Callable[[re.Match[str]], str]:
    """A substitution that writes an argument the form has a field for as its label (in
    ``template``) and leaves any other match as it is."""

    def sub(m: re.Match[str]) -> str:
        if analysis.field_for_param(m.group(1)) is None:
            return m.group(0)
        return template.format(_label(analysis, m.group(1)))

    return sub


def plain(analysis: Analysis, message: str) -> str:
    """``message`` without Python or command-line syntax: asides about the command line are
    dropped, ``pass x=<value>`` becomes 'fill in “Label”', ``x='v'`` becomes '“Label” v'."""
    text = _ANSI.sub("", message)
    text = re.sub(r"\s*\n\s*", " ", text).strip()
    text = _CLI_ASIDE.sub("", text)
    text = _PAREN.sub(_known(analysis, "({})"), text)
    text = _ASIDE.sub(lambda m: f"(see {_label(analysis, m.group(1))})", text)
    text = _PASS.sub(lambda m: f"fill in {_label(analysis, m.group(1))}", text)

    def assign(m: re.Match[str]) -> str:
        name = m.group(1)
        value = next((g for g in m.group(2, 3, 5) if g is not None), None)
        f = analysis.field_for_param(name)
        label = _label(analysis, name)
        if value is None:  # x=..., x=<value> or a bare x=
            return label
        if f is not None and f.kind == "check" and value in ("True", "False"):
            ticked = (value == "True") != f.name.startswith(("no_", "un"))
            return f"{label} {'ticked' if ticked else 'not ticked'}"
        return f"{label} {value}"

    text = _ASSIGN.sub(assign, text)
    text = _NAME.sub(_known(analysis, "{}"), text)
    text = _FLAG.sub(lambda m: _label(analysis, m.group(1).replace("-", "_")), text)
    text = re.sub(r"\bpass\b", "give", text)
    return text.replace("=<", "= <")


def _specific(exc: BaseException, f: Field | None, frame: pd.DataFrame) -> str | None:
    """Hand-written plain messages for the errors a first-time user meets most."""
    msg = str(exc)
    param = getattr(exc, "param", None) or (f.name if f is not None else None)
    column = getattr(exc, "column", None)
    col = frame[column] if column is not None and column in frame.columns else None
    if param == "control" and col is not None:
        if msg.startswith("cannot tell which value"):
            return (
                f"the list group '{column}' has the values {_values_text(col)}; say which one "
                "is the control list (respondents who were not shown the sensitive item)."
            )
        m = re.match(r"control value (.+?) does not occur", msg)
        if m:
            return (
                f"{m.group(1)} is not a value of the column '{column}'; its values are "
                f"{_values_text(col)}."
            )
    if param == "support" and col is not None and msg.startswith("cannot tell which answers"):
        return (
            f"say which answers of '{column}' count as support, separated by commas (e.g. "
            f"definitely,rather); its answers are {_values_text(col)}."
        )
    return None


def form_error(
    analysis: Analysis, exc: BaseException, values: dict[str, Any], frame: pd.DataFrame
) -> FormError:
    """``exc`` (raised by an estimator on the checked ``values``) as a FormError on the
    field it belongs to, in plain words."""
    if isinstance(exc, FormError):
        if exc.field is not None and exc.label is None:  # raised by a runner: add the label
            f = analysis.find(exc.field)
            return FormError(exc.text, exc.field, f.label if f else None)
        return exc
    f = find_field(analysis, exc, values)
    dates = _DAY_OR_MONTH.search(str(exc))
    if dates and analysis.find("date_format") is not None:
        # the fix is the date format (under More options), not the date column
        f = analysis.find("date_format")
        text = (
            f"the dates of '{getattr(exc, 'column', None) or 'the date column'}' (e.g. "
            f"{dates.group(1)}) could be day/month or month/day: choose which here, or write "
            "them as YYYY-MM-DD."
        )
        return FormError(text, f.name, f.label)
    text = _specific(exc, f, frame) or plain(analysis, str(exc))
    if f is None and not _is_ours(exc):
        text = f"the analysis could not run: {text}"
    return FormError(text, f.name if f else None, f.label if f else None)


def _is_ours(exc: BaseException) -> bool:
    from unspoken.errors import UnspokenError

    return isinstance(exc, UnspokenError)
