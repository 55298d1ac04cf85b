"""The direct poll: the share of each answer to a direct question, and of a support set.

For answer category ``k`` in a domain ``D`` (the whole sample or a subgroup) the estimate is
the weighted share ``p_k = sum_{i in D} w_i 1{y_i = k} / sum_{i in D} w_i`` and its influence
value is ``psi_ik = w_i (1{y_i = k} - p_k) / sum_{i in D} w_i`` for ``i`` in ``D`` and 0
elsewhere. The variance is the Taylor-linearisation (with-replacement) variance of the sum
of the ``psi_i`` over the *whole* design (each row a PSU unless clusters are given, strata
if given): for a simple random sample ``n/(n-1) sum_i psi_i^2``. This is what R ``survey``'s
``svymean`` and ``svyby`` give for the same design (domains keep every PSU of the full
sample; Lumley 2010, ch. 2-3), so a subgroup's interval accounts for its random size.

"Don't know" and refusals are reported as categories of their own; for the support share
the user chooses whether they count as non-support (``dk="no"``), are dropped from the
denominator (``dk="drop"``), or bound the share (``dk="bounds"``: the lower bound counts
them as non-support, the upper as support).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.covariance import (
    VCOV_OFFERS,
    SurveyDesign,
    check_vcov_name,
    resolve_vcov,
    vcov_from_influence,
)
from unspoken.report.view import View
from unspoken.results import Estimate, ResultMixin, z_value
from unspoken.smallcells import (
    DEFAULT_MIN_N,
    Cell,
    check_min_n,
    screen,
    suppressed_dict,
    whole_sample_note,
)

DkPolicy = Literal["no", "drop", "bounds"]
DK_POLICIES: tuple[str, ...] = get_args(DkPolicy)
DirectVariance = Literal["survey", "hc0"]

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


# --------------------------------------------------------------------------- shared helpers


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
    from unspoken.io import factor_column

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


def share_influence(
    ind: np.ndarray, w: np.ndarray, domain: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted domain shares of the columns of ``ind`` (n, K) and their influence values.

    ``est_k = sum_D w_i ind_ik / W_D``; ``psi_ik = w_i (ind_ik - est_k) / W_D`` on the domain
    ``D`` (boolean), 0 elsewhere.
    """
    ind = np.asarray(ind, dtype=float)
    if ind.ndim == 1:
        ind = ind[:, None]
    wd = np.where(domain, w, 0.0)
    W = wd.sum()
    if W <= 0:
        k = ind.shape[1]
        return np.full(k, np.nan), np.zeros_like(ind)
    est = wd @ ind / W
    psi = wd[:, None] * (ind - est[None, :]) / W
    return est, psi


def design_vcov(
    psi: np.ndarray, design: SurveyDesign, variance: str = "survey", estimator: str = "direct"
) -> np.ndarray:
    """Covariance of the column sums of ``psi`` under ``design`` (see module docstring);
    ``variance`` is checked by the registry for ``estimator`` ("direct" or "gap")."""
    offer = VCOV_OFFERS[estimator]
    kind = resolve_vcov(
        variance, design, offer.kinds, offer.default, estimator=estimator, param="variance"
    )
    if kind == "hc0":
        return np.atleast_2d(vcov_from_influence(psi, "hc0"))
    return np.atleast_2d(vcov_from_influence(psi, "survey", design=design))


def read_design(
    df: pd.DataFrame,
    weights: str | None,
    cluster: str | None,
    strata: str | None,
) -> SurveyDesign:
    """Weights (non-negative), cluster and strata codes of ``df`` (already complete)."""
    from unspoken.io import factor_column, weight_column

    n = len(df)
    w = weight_column(df, weights) if weights is not None else None
    cl = factor_column(df, cluster, role="cluster")[0] if cluster is not None else None
    st, st_labels = factor_column(df, strata, role="strata") if strata is not None else (None, [])
    if st is not None:  # (a single cluster overall is refused by factor_column)
        psu = cl if cl is not None else np.arange(n)
        n_psu = pd.DataFrame({"h": st, "psu": psu}).drop_duplicates()["h"].value_counts()
        lonely = sorted(int(h) for h in n_psu.index[n_psu.to_numpy() < 2])
        if lonely:
            shown = ", ".join(repr(st_labels[h]) for h in lonely[:5])
            raise DataError(
                f"column '{strata}' (strata): {len(lonely)} stratum/strata ({shown}) "
                f"{'hold' if len(lonely) > 1 else 'holds'} a single "
                f"{'cluster' if cl is not None else 'respondent'}, so "
                "its variance cannot be estimated; merge it with a neighbouring stratum",
                column=strata,
                rows=np.flatnonzero(np.isin(st, lonely)),
            )
    return SurveyDesign(n, w, cl, st)


def group_masks(df: pd.DataFrame, by: Sequence[str]) -> list[tuple[dict[str, Any], np.ndarray]]:
    """One ``(group, mask)`` per combination of the ``by`` columns present in ``df``."""
    from unspoken.io import factor_column

    if not by:
        return []
    codes = []
    labels = []
    for col in by:
        c, lab = factor_column(df, col, role="subgroup")
        codes.append(c)
        labels.append(lab)
    combo = np.stack(codes, axis=1)
    uniq = np.unique(combo, axis=0)
    out = []
    for row in uniq:
        mask = np.all(combo == row[None, :], axis=1)
        group = {col: labels[j][row[j]] for j, col in enumerate(by)}
        out.append((group, mask))
    return out


def as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def check_choice(value: str, choices: Sequence[str], name: str) -> None:
    if value not in choices:
        raise UnsupportedError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def estimate_dict(e: Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    d = e.to_dict()
    d.pop("item", None)
    return d


# --------------------------------------------------------------------------- results


@dataclass
class DirectTable:
    """Shares of every answer and of the support set in one domain (or why there are none)."""

    categories: list[tuple[Any, Estimate]] = field(default_factory=list)
    support: Estimate | None = None
    support_upper: Estimate | None = None
    n: int = 0
    note: str | None = None
    suppressed: bool = False  # by the small-cell rule: no shares, no count (``n_text``)
    n_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.suppressed:
            d = suppressed_dict({}, ["categories", "support"], self.n_text, self.note)
            del d["group"]
            return d
        if self.note is not None and not self.categories:
            return {
                "categories": None,
                "support": None,
                "n": self.n,
                "suppressed": False,
                "note": self.note,
            }
        d: dict[str, Any] = {
            "categories": [{"value": v, **estimate_dict(e)} for v, e in self.categories],
            "support": estimate_dict(self.support),
            "n": self.n,
            "suppressed": False,
        }
        if self.support_upper is not None:
            d["support_bounds"] = {
                "lower": estimate_dict(self.support),
                "upper": estimate_dict(self.support_upper),
            }
        return d


@dataclass
class DirectResult(ResultMixin):
    """The direct poll overall and by subgroup."""

    question: str
    overall: DirectTable
    by: list[tuple[dict[str, Any], DirectTable]]
    support_values: list[Any] | None
    dk_values: list[Any]
    dk: str
    variance: str
    notes: list[str] = field(default_factory=list)
    level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "model": "direct",
            "question": self.question,
            "support_values": self.support_values,
            "dk_values": self.dk_values,
            "dk": self.dk,
            "variance": self.variance,
            "overall": self.overall.to_dict(),
            "by": [{"group": g, **t.to_dict()} for g, t in self.by],
        }
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    def tidy(self) -> pd.DataFrame:
        """One row per (group, answer): group, value, estimate, std_error, ci_low, ci_high, n.
        A suppressed group (small-cell rule) is one row saying so, without estimates or n."""
        rows = []
        for g, t in [({}, self.overall), *self.by]:
            grp = ", ".join(f"{k} = {v}" for k, v in g.items()) or "(all)"
            items = list(t.categories)
            if t.support is not None:
                items.append(("support" if t.support_upper is None else "support (low)", t.support))
            if t.support_upper is not None:
                items.append(("support (high)", t.support_upper))
            for v, e in items:
                rows.append(
                    {
                        "group": grp,
                        "value": v,
                        "estimate": e.estimate,
                        "std_error": e.std_error,
                        "ci_low": e.ci_low,
                        "ci_high": e.ci_high,
                        "n": e.n,
                    }
                )
            if t.suppressed:
                rows.append({"group": grp, "value": f"suppressed ({t.n_text})"})
            elif t.note is not None and not t.categories:
                rows.append({"group": grp, "value": t.note})
        out = pd.DataFrame(rows)
        if "n" in out:
            out["n"] = out["n"].astype("Int64")
        return out

    def view(self) -> View:
        from unspoken.report.view import direct_view

        return direct_view(self)


# --------------------------------------------------------------------------- estimator


def _table(
    codes: np.ndarray,
    labels: list[Any],
    w: np.ndarray,
    domain: np.ndarray,
    support_idx: list[int] | None,
    dk_idx: list[int],
    dk: str,
    design: SurveyDesign,
    variance: str,
    crit: float,
    level: float,
) -> DirectTable:
    answered = domain & (codes >= 0)
    n = int(answered.sum())
    K = len(labels)
    onehot = (codes[:, None] == np.arange(K)[None, :]).astype(float)
    est, psi = share_influence(onehot, w, answered)
    cols = [psi]
    extra: list[tuple[str, float]] = []
    n_sup = n
    if support_idx is not None:
        sup = np.isin(codes, support_idx).astype(float)
        is_dk = np.isin(codes, dk_idx)
        if dk == "drop":
            sdom = answered & ~is_dk
            e_s, p_s = share_influence(sup, w, sdom)
            n_sup = int(sdom.sum())
        else:
            e_s, p_s = share_influence(sup, w, answered)
        cols.append(p_s)
        extra.append(("support", float(e_s[0])))
        if dk == "bounds":
            e_u, p_u = share_influence(sup + is_dk.astype(float), w, answered)
            cols.append(p_u)
            extra.append(("upper", float(e_u[0])))
    V = design_vcov(np.hstack(cols), design, variance)
    se = np.sqrt(np.clip(np.diag(V), 0, None))
    counts = np.bincount(codes[answered], minlength=K) if n else np.zeros(K, int)
    cats = [
        (labels[k], Estimate.from_se(est[k], se[k], level, n=int(counts[k]), crit=crit))
        for k in range(K)
    ]
    table = DirectTable(categories=cats, n=n)
    for j, (name, value) in enumerate(extra):
        e = Estimate.from_se(value, se[K + j], level, n=n_sup, crit=crit)
        if name == "support":
            table.support = e
        else:
            table.support_upper = e
    return table


def direct_poll(
    data: Any,
    question: str,
    support: str | Sequence[Any] | None = None,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    by: str | Sequence[str] | None = None,
    dk: DkPolicy = "no",
    dk_values: str | Sequence[Any] | None = None,
    variance: DirectVariance = "survey",
    order: str | Sequence[Any] | None = None,
    min_n: int = DEFAULT_MIN_N,
    level: float = 0.95,
) -> DirectResult:
    """Shares of the answers to the direct question ``question``, overall and by subgroup.

    ``support`` lists the answers that count as support (e.g. ``"definitely,rather"``; a
    yes/no or 0/1 question needs none: its "yes" is found as by :func:`unspoken.gap`);
    ``dk_values`` the "don't know"/refusal answers (recognised from their labels when not
    given); ``dk`` how they enter the support share ("no": as non-support; "drop": left out
    of the denominator; "bounds": lower and upper bound). Rows with no answer are outside
    the domain but stay in the design (as R ``svymean(..., na.rm = TRUE)``). A group with
    fewer than ``min_n`` answers (default 30) is suppressed to protect respondents: no
    shares, no count (see :mod:`unspoken.smallcells`; ``min_n=1`` shows every group, with a
    note). ``order`` lists answers in the order to report them (default: the categories'
    order, else sorted).
    """
    from unspoken.io import (
        blank_to_missing,
        drop_missing,
        missing_rows,
        require_columns,
        to_pandas,
    )

    check_choice(dk, DK_POLICIES, "dk")
    variance = check_vcov_name(  # type: ignore[assignment]
        variance, VCOV_OFFERS["direct"].kinds, "direct", param="variance"
    )
    min_n = check_min_n(min_n)
    df = to_pandas(data)
    n_input = len(df)
    by_cols = as_list(by)
    design_cols = [c for c in (weights, cluster, strata) if c is not None] + by_cols
    require_columns(df, [question], role="direct question")
    require_columns(df, design_cols)
    notes: list[str] = []
    kept = np.arange(n_input)
    if design_cols:
        df, dropped, kept = drop_missing(df, design_cols, weights=weights)
        notes += dropped
    design = read_design(df, weights, cluster, strata)
    df[question] = blank_to_missing(df[question])  # (df is a private copy)
    codes, labels = answer_codes(df[question], kept)
    codes, labels = reorder(codes, labels, parse_values(order), question)
    if not labels:
        raise DataError(f"column '{question}' has no answers", column=question)
    notes += missing_rows(
        df, [question], "answer shares", "left out for a missing answer", kept, n_input
    )[1]
    notes += missing_mark_note(codes, labels, question)
    if int((codes >= 0).sum()) < 2:
        raise DataError(
            f"column '{question}' has a single answer: a share's variance needs at least two",
            column=question,
        )
    dk_idx = dk_positions(labels, dk_values, question)
    # dk='drop'/'bounds' are about the support share, so they need one
    support_idx = support_answers(
        labels, question, parse_values(support), dk_idx, required=dk != "no"
    )
    crit = z_value(level)
    w = design.w
    everyone = np.ones(len(df), dtype=bool)
    args = (labels, w)
    rest = (support_idx, dk_idx, dk, design, variance, crit, level)
    overall = _table(codes, *args, everyone, *rest)
    whole = whole_sample_note(Cell(overall.n), min_n)
    if whole:
        notes.append(whole)
    masks = group_masks(df, by_cols)
    screened = screen([Cell(int((m & (codes >= 0)).sum())) for _, m in masks], min_n)
    notes += screened.notes
    groups = []
    for (group, mask), v in zip(masks, screened.verdicts, strict=True):
        if not v.shown:  # suppressed: not even computed
            groups.append((group, DirectTable(note=v.note, suppressed=True, n_text=v.n_text)))
            continue
        groups.append((group, _table(codes, *args, mask, *rest)))
    return DirectResult(
        question=question,
        overall=overall,
        by=groups,
        support_values=None if support_idx is None else [labels[i] for i in support_idx],
        dk_values=[labels[i] for i in dk_idx],
        dk=dk,
        variance=variance,
        notes=notes,
        level=level,
    )
