"""The direct poll's estimator: weighted domain shares, their influence values and the
design-based covariance (see :mod:`unspoken.direct` for the formulas), the survey design read
from the frame, and the subgroups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from unspoken.direct.answers import (
    DK_POLICIES,
    DkPolicy,
    answer_codes,
    as_list,
    check_choice,
    dk_positions,
    missing_mark_note,
    parse_values,
    reorder,
    support_answers,
)
from unspoken.direct.results import DirectResult, DirectTable
from unspoken.errors import DataError
from unspoken.inference.covariance import (
    VCOV_OFFERS,
    SurveyDesign,
    check_vcov_name,
    resolve_vcov,
    vcov_from_influence,
)
from unspoken.options import Missing, choice, renamed
from unspoken.results import Estimate, z_value
from unspoken.smallcells import (
    DEFAULT_MIN_N,
    Cell,
    check_min_n,
    screen,
    whole_sample_note,
)

#: the variance kinds of the direct poll and the gap (:data:`VCOV_OFFERS` ``"direct"``)
DirectVcov = Literal["survey", "hc0"]


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
    psi: np.ndarray, design: SurveyDesign, vcov: str = "survey", estimator: str = "direct"
) -> np.ndarray:
    """Covariance of the column sums of ``psi`` under ``design`` (Taylor linearisation, see
    :mod:`unspoken.direct`); ``vcov`` is checked by the registry for ``estimator``
    ("direct" or "gap")."""
    offer = VCOV_OFFERS[estimator]
    kind = resolve_vcov(vcov, design, offer.kinds, offer.default, estimator=estimator)
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
    from unspoken.io.columns import factor_column, weight_column

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
    from unspoken.io.columns import factor_column

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


# --------------------------------------------------------------------------- estimator


def _table(
    codes: np.ndarray,
    labels: list[Any],
    domain: np.ndarray,
    support_idx: list[int] | None,
    dk_idx: list[int],
    dk: str,
    design: SurveyDesign,
    vcov: str,
    crit: float,
    level: float,
) -> DirectTable:
    """The shares of every answer (and of the support set) in ``domain``."""
    w = design.w
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
    V = design_vcov(np.hstack(cols), design, vcov)
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
    outcome: str | None = None,
    support: str | Sequence[Any] | None = None,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    by: str | Sequence[str] | None = None,
    dk: DkPolicy = "no",
    dk_values: str | Sequence[Any] | None = None,
    vcov: DirectVcov = "survey",
    order: str | Sequence[Any] | None = None,
    min_n: int = DEFAULT_MIN_N,
    missing: Missing = "listwise",
    level: float = 0.95,
    question: str | None = None,
    variance: str | None = None,
) -> DirectResult:
    """Shares of the answers to the direct question in column ``outcome``, overall and by
    subgroup.

    ``support`` lists the answers that count as support (e.g. ``"definitely,rather"``; a
    yes/no or 0/1 question needs none: its "yes" is found as by :func:`unspoken.gap`);
    ``dk_values`` the "don't know"/refusal answers (recognised from their labels when not
    given); ``dk`` how they enter the support share ("no": as non-support; "drop": left out
    of the denominator; "bounds": lower and upper bound). Rows with no answer are outside
    the domain but stay in the design (as R ``svymean(..., na.rm = TRUE)``);
    ``missing="error"`` refuses them instead, and any missing weight, cluster, strata or
    ``by`` value (``"listwise"``, the default, drops those rows and says so). ``vcov``:
    ``"survey"`` (Taylor linearisation) or ``"hc0"`` (independent respondents). A group with
    fewer than ``min_n`` answers (default 30) is suppressed to protect respondents: no
    shares, no count (see :mod:`unspoken.smallcells`; ``min_n=1`` shows every group, with a
    note). ``order`` lists answers in the order to report them (default: the categories'
    order, else sorted).

    Deprecated (one release, with a warning): ``question=`` (now ``outcome=``) and
    ``variance=`` (now ``vcov=``).
    """
    from unspoken.io.frames import require_columns, to_pandas
    from unspoken.io.missing import blank_to_missing, drop_missing, missing_rows

    outcome = renamed(question, outcome, "question", "outcome")
    vcov = renamed(variance, vcov, "variance", "vcov", default="survey")
    if outcome is None:
        raise DataError("direct_poll needs the question's column (outcome=...)")
    check_choice(dk, DK_POLICIES, "dk")
    vcov = check_vcov_name(vcov, VCOV_OFFERS["direct"].kinds, "direct")  # type: ignore[assignment]
    min_n = check_min_n(min_n)
    missing = choice(missing, Missing, "missing")
    df = to_pandas(data)
    n_input = len(df)
    by_cols = as_list(by)
    design_cols = [c for c in (weights, cluster, strata) if c is not None] + by_cols
    require_columns(df, [outcome], role="direct question")
    require_columns(df, design_cols)
    if missing == "error":  # refuses any missing value, naming its rows
        drop_missing(df, [*design_cols, outcome], "error")
    notes: list[str] = []
    kept = np.arange(n_input)
    if design_cols:
        df, dropped, kept = drop_missing(df, design_cols, weights=weights)
        notes += dropped
    design = read_design(df, weights, cluster, strata)
    df[outcome] = blank_to_missing(df[outcome])  # (df is a private copy)
    codes, labels = answer_codes(df[outcome], kept)
    codes, labels = reorder(codes, labels, parse_values(order), outcome)
    if not labels:
        raise DataError(f"column '{outcome}' has no answers", column=outcome)
    notes += missing_rows(
        df, [outcome], "answer shares", "left out for a missing answer", kept, n_input
    )[1]
    notes += missing_mark_note(codes, labels, outcome)
    if int((codes >= 0).sum()) < 2:
        raise DataError(
            f"column '{outcome}' has a single answer: a share's variance needs at least two",
            column=outcome,
        )
    dk_idx = dk_positions(labels, dk_values, outcome)
    # dk='drop'/'bounds' are about the support share, so they need one
    support_idx = support_answers(
        labels, outcome, parse_values(support), dk_idx, required=dk != "no"
    )
    crit = z_value(level)
    rest = (support_idx, dk_idx, dk, design, vcov, crit, level)
    overall = _table(codes, labels, np.ones(len(df), dtype=bool), *rest)
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
        groups.append((group, _table(codes, labels, mask, *rest)))
    return DirectResult(
        question=outcome,
        overall=overall,
        by=groups,
        support_values=None if support_idx is None else [labels[i] for i in support_idx],
        dk_values=[labels[i] for i in dk_idx],
        dk=dk,
        vcov=vcov,
        notes=notes,
        level=level,
    )
