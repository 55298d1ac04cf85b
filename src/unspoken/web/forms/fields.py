"""Form fields of the web page: what each field accepts, where its starting value comes from,
and :class:`FormError`, the error that names the field it belongs to.

Nothing typed into the page is evaluated: column fields must name a column of the data,
numbers are parsed as numbers, and covariates go through :mod:`unspoken.formula`'s
token-by-token parser inside the estimators.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from unspoken.errors import DataError

Kind = Literal[
    "column",
    "column_opt",
    "choice",
    "int",
    "int_opt",
    "number",
    "text",
    "covariates",
    "check",
    "dataset",
    "dataset_opt",
]
COLUMN_KINDS = ("column", "column_opt")
#: a second table (e.g. a population table): one of the page's data sets, by its id
DATASET_KINDS = ("dataset", "dataset_opt")
MAX_TEXT = 1000
Problem = tuple[str | None, str | None, str]  # (field name, field label, message)


class FormError(DataError):
    """Form fields that are missing or not valid, each message in plain words.

    ``field`` is the name of the form field at fault (``None``: the form as a whole),
    ``label`` its label and ``text`` the message without the label; ``problems`` lists every
    problem of the submitted form as ``(field, label, text)``, this one first. ``str()`` gives
    one line per problem, ``"Label: text"``. Unlike the estimators' messages, these never
    name a Python argument or a command-line option.
    """

    def __init__(
        self,
        text: str,
        field: str | None = None,
        label: str | None = None,
        more: Sequence[Problem] = (),
    ) -> None:
        self.field = field
        self.label = label
        self.text = text
        self.problems: tuple[Problem, ...] = ((field, label, text), *more)
        super().__init__("\n".join(line(p) for p in self.problems))

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> FormError:
        first, *more = problems
        return cls(first[2], first[0], first[1], more)


def line(problem: Problem) -> str:
    """One problem as the page shows it: ``"Label: text"`` (or the text alone)."""
    _, label, text = problem
    return f"{label}: {text}" if label else text


@dataclass(frozen=True)
class Field:
    """One input of a form. ``hint`` names a pattern of :data:`HINTS` that reads the
    field's starting value from a bundled data set's one-line design; ``advanced`` puts the
    field under "More options"; ``choice_text`` is what the page shows for each choice;
    ``low``/``high`` bound a number (inclusive)."""

    name: str
    label: str
    kind: Kind
    help: str = ""
    choices: tuple[str, ...] = ()
    default: str = ""
    hint: str | None = None
    choice_text: tuple[str, ...] = ()
    advanced: bool = False
    low: float | None = None
    high: float | None = None

    def shown(self, value: str) -> str:
        """What the page shows for the choice ``value``."""
        if self.choice_text and value in self.choices:
            return self.choice_text[self.choices.index(value)]
        return value


def choice(
    name: str, label: str, help: str, options: Mapping[str, str], advanced: bool = False
) -> Field:
    """A field choosing one of ``options`` (each value mapped to what the page shows for
    it), the first the default."""
    return Field(
        name,
        label,
        "choice",
        help,
        tuple(options),
        next(iter(options)),
        choice_text=tuple(options.values()),
        advanced=advanced,
    )


@dataclass(frozen=True)
class Analysis:
    """A form: its fields and how the checked values become a call of the public API.

    ``example`` is the bundled data set whose documented design the defaults run on (empty:
    any data set); ``uses_data`` is False for forms that ignore the data (power
    calculations); ``params`` maps an API argument to the form field that sets it where
    their names differ (used to put an estimator's error next to the right field)."""

    key: str
    title: str
    blurb: str
    fields: tuple[Field, ...]
    run: Callable[[pd.DataFrame, dict[str, Any]], Any] = field(repr=False)
    example: str = ""
    uses_data: bool = True
    params: Mapping[str, str] = field(default_factory=dict)

    def find(self, name: str | None) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def field_for_param(self, param: str | None) -> Field | None:
        """The field an API argument (``DataError.param``) belongs to."""
        if not param:
            return None
        return self.find(self.params.get(param, param))


# --------------------------------------------------------------------------- starting values

#: patterns on a bundled data set's design text (``datasets.info(name).design``)
HINTS = {
    "outcome": r"outcome ([\w.]+)",
    "treat": r"treat ([\w.]+)",
    "J": r"\bJ = (\d+)",
    "direct": r"direct(?: question)? ([\w.]+)",
    "design": r"^rr ([\w-]+):",
    "p": r"\bp = ([\d./]+)",
    "p0": r"\bp0 = ([\d./]+)",
    "p1": r"\bp1 = ([\d./]+)",
    "share": r"share ([\w.]+)",
    "pollster": r"pollster ([\w.]+)",
    "date": r"date ([\w.]+)",
    "start": r"\bstart ([\w.]+)",
    "end": r"\bend ([\w.]+)",
    "n": r"\bn ([\w.]+)",
    "dk": r"dk ([\w.]+)",
    "placebo": r"\bplacebo (?!list\b|item\b)([\w.]+)",
    "placebo_prev": r"placebo item prevalence ([\d./]+)",
    "y1": r"outcomes ([\w.]+),",
    "y2": r"outcomes [\w.]+, ([\w.]+)",
    "group": r"\bgroup ([\w.]+)",
    "weights": r"\bweights ([\w.]+)",
    "cluster": r"\bcluster ([\w.]+)",
    "strata": r"\bstrata ([\w.]+)",
}

#: starting values a data set's one-line design does not spell out: (pattern on the design
#: text, {field: value}); e.g. which answers of a rating scale count as support
DESIGN_EXTRAS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        r"^gap with placebo list:.*direct support \(definitely/rather/",
        {"support": "definitely,rather"},
    ),
)


def defaults(analysis: Analysis, columns: list[str], design: str = "") -> dict[str, str]:
    """Starting values of the form: a bundled data set's documented design where it names
    them, else the field's own default."""
    out: dict[str, str] = {}
    for f in analysis.fields:
        value = f.default
        if f.hint and design:
            m = re.search(HINTS[f.hint], design)
            if m:
                value = m.group(1).rstrip(".,")
        if f.kind in COLUMN_KINDS and value not in columns:
            value = ""
        out[f.name] = value
    for pattern, values in DESIGN_EXTRAS:
        if design and re.search(pattern, design):
            out.update({k: v for k, v in values.items() if k in out})
    return out


# --------------------------------------------------------------------------- checking


def fraction(text: str) -> float:
    """A number written as 0.25, 25e-2 or a fraction such as 2/3 (ValueError otherwise)."""
    t = text.strip()
    if "/" in t:
        num, den = t.split("/")
        value = float(num) / float(den)
    else:
        value = float(t)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _bounds_text(f: Field) -> str:
    if f.low is not None and f.high is not None:
        return f"between {f.low:g} and {f.high:g}"
    if f.low is not None:
        return f"at least {f.low:g}"
    return f"at most {f.high:g}"


def _check(f: Field, raw: str, columns: Sequence[str]) -> Any:
    """The value of one field, or FormError (without the label) if it is not valid."""
    if len(raw) > MAX_TEXT:
        raise FormError("the value is too long.")
    if f.kind in COLUMN_KINDS:
        if not raw:
            if f.kind == "column":
                raise FormError("choose a column.")
            return None
        if raw not in columns:
            raise FormError(f"there is no column '{raw}' in the data.")
        return raw
    if f.kind in DATASET_KINDS:
        if not raw and f.kind == "dataset":
            raise FormError("choose a data set (upload your file first to see it here).")
        return raw or None
    if f.kind == "choice":
        if raw not in f.choices:
            shown = ", ".join(f.shown(c) for c in f.choices)
            raise FormError(f"choose one of {shown}.")
        return raw
    if f.kind == "check":
        if raw.lower() not in ("", "on", "yes", "1", "true"):
            raise FormError("tick the box or leave it empty.")
        return bool(raw)
    if f.kind in ("int", "int_opt"):
        if not raw and f.kind == "int_opt":
            return None
        if not re.fullmatch(r"\d{1,7}", raw):
            raise FormError(f"write a whole number such as {f.default or 3}, not '{raw}'.")
        value: float = int(raw)
    elif f.kind == "number":
        if not raw:
            return None
        try:
            value = fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise FormError(f"write a number or a fraction like 2/3, not '{raw}'.") from None
    else:  # text, covariates: passed on as text; the estimators check them
        return raw or None
    if (f.low is not None and value < f.low) or (f.high is not None and value > f.high):
        raise FormError(f"must be {_bounds_text(f)}, not {raw}.")
    return value


def clean(analysis: Analysis, form: Mapping[str, str], columns: list[str]) -> dict[str, Any]:
    """Check every field of a submitted form; FormError lists every bad one. A field the
    form does not contain at all (an older page, a link) takes its default."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in analysis.fields:
        raw = (form.get(f.name, f.default) or "").strip()
        try:
            out[f.name] = _check(f, raw, columns)
        except FormError as e:
            problems.append((f.name, f.label, e.text))
    if problems:
        raise FormError.of(problems)
    return out
