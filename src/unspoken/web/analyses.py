"""The analyses the web page offers: their forms (built from the data's columns), how a
submitted form becomes a call of the public API (as the matching CLI command makes it), and
the form errors shown next to their field. The pieces live in :mod:`unspoken.web.forms`.

Nothing typed into the page is evaluated: column fields must name a column of the data,
numbers are parsed as numbers, and covariates go through :mod:`unspoken.formula`'s
token-by-token parser inside the estimators.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from unspoken._warnings import collect_warnings
from unspoken.errors import UnspokenError
from unspoken.web.forms.catalogue import ANALYSES
from unspoken.web.forms.fields import (
    DATASET_KINDS,
    HINTS,
    Analysis,
    Field,
    FormError,
    Kind,
    Problem,
    clean,
    defaults,
    line,
)
from unspoken.web.forms.messages import form_error, plain

__all__ = [
    "ANALYSES",
    "DATASET_KINDS",
    "HINTS",
    "Analysis",
    "Field",
    "FormError",
    "Kind",
    "Problem",
    "clean",
    "defaults",
    "line",
    "problems",
    "run",
]


def run(
    analysis: Analysis,
    df: pd.DataFrame,
    form: Mapping[str, str],
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[Any, list[str]]:
    """Run ``analysis`` on ``df`` with the submitted ``form``: (result, warnings).

    ``tables`` holds the page's other data sets that the form's data-set fields chose (by
    their id); such a field's value becomes that frame. Every error a person can fix is a
    :class:`FormError` naming its field, in plain words (an estimator's
    ``DataError``/``UnsupportedError``/``ValueError`` is translated)."""
    columns = [str(c) for c in df.columns]
    values = clean(analysis, form, columns)
    for f in analysis.fields:
        if f.kind in DATASET_KINDS and values[f.name] is not None:
            values[f.name] = _table(f, values[f.name], tables or {})
    frame = df.copy()
    frame.columns = columns
    try:
        with collect_warnings() as warned:
            result = analysis.run(frame, values)
    except (UnspokenError, ValueError) as e:
        raise form_error(analysis, e, values, frame) from None
    notes = getattr(result, "notes", None) or []
    return result, [w for w in warned if w not in notes]


def _table(f: Field, key: str, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The data set a data-set field chose: one the server handed over, or a bundled one."""
    from unspoken import datasets

    if key in tables:
        return tables[key]
    if key in datasets.names():
        return datasets.load(key)
    raise FormError(
        "this data set is no longer on the page; upload the file again.", f.name, f.label
    )


def problems(analysis: Analysis, error: str | BaseException | None) -> list[Problem]:
    """The problems ``(field, label, text)`` of an error to show with the form.

    A :class:`FormError` carries its fields. Text (e.g. ``str()`` of a FormError that
    crossed a process boundary as text) is read line by line: a line that starts with a
    field's label followed by ': ' belongs to that field."""
    if error is None or error == "":
        return []
    if isinstance(error, FormError):
        return [
            _labelled(analysis, f, t) if f and not lab else (f, lab, t)
            for f, lab, t in error.problems
        ]
    if isinstance(error, BaseException):
        return [(None, None, plain(analysis, str(error)))]
    out: list[Problem] = []
    by_length = sorted(analysis.fields, key=lambda f: -len(f.label))
    for text in str(error).splitlines():
        if not text.strip():
            continue
        f = next((f for f in by_length if text.startswith(f.label + ": ")), None)
        if f is None:
            out.append((None, None, text))
        else:
            out.append((f.name, f.label, text[len(f.label) + 2 :]))
    return out


def _labelled(analysis: Analysis, name: str, text: str) -> Problem:
    f = analysis.find(name)
    return (name, f.label if f else None, text)
