"""Answers to a direct question: codes and labels, "don't know" and support answers, and the
marks of missing values that look like answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError

DkPolicy = Literal["no", "drop", "bounds"]
DK_POLICIES: tuple[str, ...] = get_args(DkPolicy)

#: answers recognised as "don't know" / refusal when ``dk_values`` is not given (compared
#: case-insensitively, ignoring surrounding blanks and apostrophes).
DEFAULT_DK_LABELS = frozenset(
    {
        "dont know",
        "do not know",
        "dk",
        "hard to say",
        "difficult to say",
        "difficult to answer",
        "not sure",
        "refused",
        "refusal",
        "refuse",
        "refused to answer",
        "no answer",
        "prefer not to say",
        "dk/na",
        "dk/ref",
        # Russian polls (Levada, FOM, VCIOM)
        "затрудняюсь ответить",
        "затрудняюсь",
        "трудно сказать",
        "не знаю",
        "отказ",
        "отказ от ответа",
        "нет ответа",
    }
)


def _norm(value: Any) -> str:
    return str(value).strip().lower().replace("'", "").replace("’", "")


def label_matches(value: Any, wanted: Any) -> bool:
    """Does an answer label equal a user-given value? Text (case-insensitive), then number."""
    if isinstance(value, np.generic):
        value = value.item()
    if _norm(value) == _norm(wanted):
        return True
    try:
        return float(value) == float(wanted)
    except (TypeError, ValueError):
        return False


def parse_values(values: str | Sequence[Any] | None) -> list[Any] | None:
    """``"definitely,rather"`` -> ``["definitely", "rather"]``; a list is kept as it is."""
    if values is None:
        return None
    if isinstance(values, str):
        out = [v.strip() for v in values.split(",") if v.strip()]
        return out
    return list(values)


def find_labels(labels: list[Any], wanted: Sequence[Any], column: str, what: str) -> list[int]:
    """Positions in ``labels`` of every value in ``wanted`` (DataError if one is absent)."""
    idx = []
    for w in wanted:
        hits = [i for i, lab in enumerate(labels) if label_matches(lab, w)]
        if not hits:
            shown = ", ".join(repr(v) for v in labels)
            raise DataError(
                f"{what} value {w!r} does not occur in column '{column}'; its answers are {shown}",
                column=column,
            )
        idx.extend(hits)
    return sorted(set(idx))


def dk_positions(labels: list[Any], dk_values: Any, column: str) -> list[int]:
    """Positions of the "don't know"/refusal answers: those given in ``dk_values``, else the
    labels in :data:`DEFAULT_DK_LABELS`."""
    dk_list = parse_values(dk_values)
    if dk_list is None:
        return [i for i, lab in enumerate(labels) if _norm(lab) in DEFAULT_DK_LABELS]
    return find_labels(labels, dk_list, column, "dk")


def support_positions(
    labels: list[Any], support: Sequence[Any], dk_idx: list[int], column: str
) -> list[int]:
    """Positions of the ``support`` answers (DataError if there are none, or if one is also a
    don't-know answer)."""
    if not len(support):
        shown = ", ".join(repr(v) for v in labels)
        raise DataError(
            f"support= is empty: name the answers of '{column}' that count as support "
            f"(its answers are {shown}), or leave support out for a yes/no question",
            column=column,
        )
    idx = find_labels(labels, support, column, "support")
    clash = set(idx) & set(dk_idx)
    if clash:
        raise DataError(
            f"answer(s) {[labels[i] for i in sorted(clash)]} are both support and don't know",
            column=column,
        )
    return idx


#: answers that mean "yes" in a two-answer question (compared as :func:`_norm` text)
YES_LABELS = frozenset({"1", "1.0", "yes", "true", "да"})


def support_answers(
    labels: list[Any],
    column: str,
    support: Sequence[Any] | None,
    dk_idx: list[int],
    required: bool = True,
) -> list[int] | None:
    """Positions of the answers that count as support: those given in ``support``, else the
    "yes" (1, yes, true, да) of a question whose other substantive answer is the only one left.

    Without ``support`` and with no such "yes", :class:`DataError` asks for ``support=``, or
    ``None`` comes back when ``required`` is false. The direct poll and the gap both use this
    rule.
    """
    if support is not None:
        return support_positions(labels, support, dk_idx, column)
    substantive = [i for i in range(len(labels)) if i not in dk_idx]
    yes = [i for i in substantive if _norm(labels[i]) in YES_LABELS]
    other = [i for i in substantive if i not in yes]
    if len(yes) == 1 and len(other) <= 1:
        return yes
    if not required:
        return None
    shown = ", ".join(repr(v) for v in labels)
    raise DataError(
        f"cannot tell which answers of '{column}' mean support (answers: {shown}); give "
        "support=... (on the command line --support VALUES, e.g. 'definitely,rather')",
        column=column,
    )


def reorder(
    codes: np.ndarray, labels: list[Any], order: Sequence[Any] | None, column: str
) -> tuple[np.ndarray, list[Any]]:
    """Put the answers listed in ``order`` first, in that order (the rest keep theirs)."""
    if not order:
        return codes, labels
    first: list[int] = []
    for value in order:
        hit = find_labels(labels, [value], column, "order")
        first += [i for i in hit if i not in first]
    perm = first + [i for i in range(len(labels)) if i not in first]
    new_code = np.empty(len(labels), dtype=np.int64)
    new_code[perm] = np.arange(len(perm))
    out = np.where(codes >= 0, new_code[np.maximum(codes, 0)], -1)
    return out, [labels[i] for i in perm]


def answer_codes(
    series: pd.Series, positions: np.ndarray | None = None
) -> tuple[np.ndarray, list[Any]]:
    """Codes ``0..K-1`` of the answers (-1 where missing) and their labels in order.

    Order: the category order of a Categorical column, else numeric order when every answer
    is a number, else text order. An infinite number is refused (``positions`` map the rows
    of ``series`` to the data as given, for the message).
    """
    from unspoken.io.columns import factor_column

    present = series.notna().to_numpy()
    codes = np.full(len(series), -1, dtype=np.int64)
    if not present.any():
        return codes, []
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    ):  # fast path: numbers in numeric order
        if pd.api.types.is_float_dtype(series.dtype):
            inf = np.isinf(series.to_numpy(dtype=float, na_value=np.nan))
            if inf.any():
                raise DataError(
                    f"column '{series.name}' holds {int(inf.sum())} infinite value(s), which "
                    "are not answers",
                    column=str(series.name),
                    rows=(np.arange(len(series)) if positions is None else positions)[inf],
                )
        values = series.to_numpy()[present]
        uniq = np.unique(values)
        codes[present] = np.searchsorted(uniq, values)
        return codes, [v.item() for v in uniq]
    sub = pd.DataFrame({"q": series[present].to_numpy()})
    if isinstance(series.dtype, pd.CategoricalDtype):
        sub["q"] = pd.Categorical(sub["q"], categories=series.cat.categories)
    c, labels = factor_column(sub, "q")
    codes[present] = c
    return codes, labels


#: answers that are, in survey files, the usual marks of a missing value rather than answers
_MISSING_MARKS = {".", "-", "--", "---", "?", "*", "#", "x", "n.a.", "n/a", "na", "#n/a"}
_MISSING_CODES = {-1.0, -9.0, -99.0, -999.0, 9.0, 98.0, 99.0, 998.0, 999.0, 9999.0}


def missing_mark_note(codes: np.ndarray, labels: list[Any], column: str) -> list[str]:
    """A note when answers look like missing-value marks: ``"."``, ``"-"`` and the like, or a
    code such as 99 among worded answers. They stay answers (counted in the denominator, not
    as support) — the data cannot say otherwise — but the note says so, with how many rows."""

    def number(v: Any) -> float | None:
        try:
            return float(str(v).strip())
        except ValueError:
            return None

    nums = [number(v) for v in labels]
    worded = sum(n is None for n in nums) > len(labels) / 2
    odd = [
        i
        for i, v in enumerate(labels)
        if str(v).strip().lower() in _MISSING_MARKS
        or (worded and nums[i] is not None and nums[i] in _MISSING_CODES)
    ]
    if not odd:
        return []
    k = int(np.isin(codes, odd).sum())
    shown = ", ".join(repr(labels[i]) for i in odd)
    rows = f"{k} row{'s' if k > 1 else ''}"
    if len(odd) == 1:
        said = f"the answer {shown} ({rows}) looks like a missing-value mark but is counted as "
        said += "an answer"
    else:
        said = f"the answers {shown} ({rows}) look like missing-value marks but are counted as "
        said += "answers"
    return [
        f"column '{column}': {said} (in the shares' denominator, not as support); recode "
        "them to missing (an empty cell) if that is what they mean"
    ]


def as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def check_choice(value: str, choices: Sequence[str], name: str) -> None:
    if value not in choices:
        raise UnsupportedError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
