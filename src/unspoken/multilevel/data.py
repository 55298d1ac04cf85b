"""The data of a multilevel model checked once (issue 14): :func:`prepare_multilevel`.

The list part is checked by the standard list machinery (:func:`~unspoken.listexp.data.
prepare_list_data`, the area as its subgroup column); with a direct question the gap's
(:func:`~unspoken.falsification.prepared.prepare`: list answers, direct answers, their
labels and "don't know", the layouts "everyone", "control only" and "separate
subsample"). ``area_data`` (one row per area) is joined on the area column first; its
columns and the data's own area-level columns (``area_formula``) must be constant within
each area. Respondents with the same area, answers, arm and covariates are collapsed into
patterns with a frequency (the likelihood is the same, the arrays smaller).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError

__all__ = ["MultilevelData", "prepare_multilevel"]


@dataclass
class MultilevelData:
    """Respondent arrays (``y``/``t`` 0 where a row has no list answer), area codes and
    labels, the design, and the patterns of the model (``pattern``: first row of each,
    sorted by area; ``freq``)."""

    y: np.ndarray
    t: np.ndarray
    X: np.ndarray
    terms: list[str]
    codes: np.ndarray
    labels: list[Any]
    J: int
    design: Any
    frame: pd.DataFrame
    area_columns: list[str]
    notes: list[str]
    in_list: np.ndarray
    d: np.ndarray | None = None
    in_direct: np.ndarray | None = None
    #: who answered the direct question: "everyone", "control", "separate" or "mixed"
    layout: str | None = None
    pattern: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    freq: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n(self) -> int:
        return len(self.codes)


def _rows_text(rows: np.ndarray) -> str:
    return ", ".join(str(int(r) + 1) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")


def check_area_constant(frame: pd.DataFrame, area: str, columns: list[str]) -> None:
    """Refuse an area-level column that varies within an area (naming the column, an area
    where it varies and that area's rows)."""
    for col in columns:
        counts = frame.groupby(area, sort=True, observed=True)[col].nunique(dropna=False)
        bad = counts[counts > 1]
        if len(bad):
            label = bad.index[0]
            rows = np.flatnonzero((frame[area] == label).to_numpy())
            raise DataError(
                f"area-level column '{col}' is not constant within area {label!r} of column "
                f"'{area}' ({int(bad.iloc[0])} different values): an area-level predictor "
                "takes one value per area",
                column=col,
                rows=rows,
            )


def join_area_data(df: pd.DataFrame, area: str, area_data: Any) -> pd.DataFrame:
    """``df`` with the columns of ``area_data`` (a frame or a CSV/Parquet path with one row
    per area, keyed by ``area``) joined on the area; every area of ``df`` must have its
    row, and a column in both must agree."""
    from unspoken.io.frames import to_pandas
    from unspoken.io.readers import read_data

    if isinstance(area_data, str) or hasattr(area_data, "__fspath__"):
        ad = read_data(area_data)
    else:
        ad = to_pandas(area_data)
    if area not in ad.columns:
        raise DataError(f"area_data has no column '{area}' (the area column, its key)", column=area)
    key = ad[area].astype(str)
    if key.isna().any() or ad[area].isna().any():
        rows = np.flatnonzero(ad[area].isna().to_numpy())
        raise DataError(
            f"area_data column '{area}' has missing areas (row(s) {_rows_text(rows)})",
            column=area,
            rows=rows,
        )
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(
            f"area_data has more than one row for area(s) {sorted(set(key[dup]))} "
            f"(row(s) {_rows_text(np.flatnonzero(dup))}): one row per area",
            column=area,
            rows=np.flatnonzero(dup),
        )
    have = df[area].dropna().astype(str)
    absent = sorted(set(have) - set(key))
    if absent:
        raise DataError(
            f"area_data has no row for area(s) {absent[:10]}{' ...' if len(absent) > 10 else ''}"
            f" of column '{area}'",
            column=area,
        )
    extra = ad.drop(columns=[area]).set_axis(key.to_numpy())
    joined = df.copy()
    vals = df[area].astype(str).where(df[area].notna())
    for c in extra.columns:
        new = vals.map(extra[c])
        if c in df.columns:  # in both: accepted only where they agree
            old = df[c]
            if pd.api.types.is_numeric_dtype(old) and pd.api.types.is_numeric_dtype(new):
                same = np.isclose(old.to_numpy(float), new.to_numpy(float), equal_nan=True)
            else:
                same = (old.astype(str) == new.astype(str)).to_numpy()
            differ = ~same & vals.notna().to_numpy()
            if differ.any():
                rows = np.flatnonzero(differ)
                areas = sorted(set(vals.to_numpy()[rows]))
                raise DataError(
                    f"column '{c}' is in both the data and area_data, and they differ in "
                    f"area(s) {areas[:10]}{' ...' if len(areas) > 10 else ''} (data row(s) "
                    f"{_rows_text(rows)}): drop or rename one of them",
                    column=c,
                    rows=rows,
                )
            continue
        joined[c] = new.to_numpy()
    return joined


def _formulas(df, formula, area, area_formula):
    """The full right-hand side (covariates + area-level predictors), the left-hand side
    and the area-level columns."""
    from unspoken.formula import formula_columns, split_formula

    if not isinstance(formula, str):
        raise DataError(f"formula must be text such as 'y ~ x1 + x2', got {type(formula)}")
    lhs, rhs = split_formula(formula)
    if area in formula_columns(rhs, list(df.columns)):
        raise DataError(
            f"the area column '{area}' cannot be a covariate in the formula: its random "
            "intercepts model it",
            column=area,
        )
    area_cols: list[str] = []
    if area_formula is not None:
        if not isinstance(area_formula, str):
            raise DataError(f"area_formula must be text such as '~ z1 + z2', got {area_formula!r}")
        a_lhs, a_rhs = split_formula(area_formula)
        if a_lhs is not None:
            raise DataError(
                f"area_formula '{area_formula}' takes a right-hand side only: '~ z1 + z2'"
            )
        area_cols = formula_columns(a_rhs, list(df.columns))
        if a_rhs.strip() not in ("1", ""):
            rhs = a_rhs if rhs.strip() == "1" else f"{rhs} + {a_rhs}"
    return lhs, rhs, area_cols


def prepare_multilevel(
    data: Any,
    formula: str,
    treat: str,
    J: Any,
    area: Any,
    area_formula: str | None,
    control: Any,
    missing: str,
    *,
    direct: str | None = None,
    support: Any = None,
    dk: str = "no",
    dk_values: Any = None,
    area_data: Any = None,
) -> MultilevelData:
    """Check the data of :func:`~unspoken.multilevel.fit.multilevel_list` (see the module
    docstring) into a :class:`MultilevelData`."""
    from unspoken.io.columns import factor_column
    from unspoken.io.frames import require_columns, to_pandas

    df = to_pandas(data, copy=False)
    if not isinstance(area, str):
        raise UnsupportedError(
            f"area must name the column of areas (e.g. area='region'), got {area!r}", param="area"
        )
    require_columns(df, [area], role="area")
    if area_data is not None:
        df = join_area_data(df, area, area_data)
    lhs, rhs, area_cols = _formulas(df, formula, area, area_formula)
    if direct is None:
        d = _list_only(df, lhs, rhs, formula, treat, J, area, control, missing)
    else:
        d = _with_direct(
            df, lhs, rhs, treat, J, area, control, missing, direct, support, dk, dk_values
        )
    if "Intercept" not in d.terms:
        raise UnsupportedError(
            "the multilevel model needs an intercept (random intercepts vary around it): "
            "remove '- 1' / '+ 0' from the formula",
            param="formula",
        )
    check_area_constant(d.frame, area, area_cols)
    d.area_columns = area_cols
    d.codes, d.labels = factor_column(d.frame, area, role="area")
    _patterns(d)
    return d


def _list_only(df, lhs, rhs, formula, treat, J, area, control, missing) -> MultilevelData:
    from unspoken.listexp.data import prepare_list_data

    full = f"{lhs} ~ {rhs}" if lhs is not None else formula
    ld = prepare_list_data(df, full, treat, J, control, by=area, missing=missing)
    n = ld.n
    return MultilevelData(
        y=ld.y.astype(float),
        t=ld.t.astype(float),
        X=ld.X,
        terms=list(ld.terms),
        codes=np.zeros(n, dtype=np.intp),
        labels=[],
        J=ld.J,
        design=ld.design,
        frame=ld.frame,
        area_columns=[],
        notes=list(ld.notes),
        in_list=np.ones(n, dtype=bool),
    )


def _with_direct(
    df, lhs, rhs, treat, J, area, control, missing, direct, support, dk, dk_values
) -> MultilevelData:
    from unspoken.falsification.prepared import Roles, prepare

    if dk not in ("no", "drop"):
        raise UnsupportedError(
            f"dk must be 'no' (\"don't know\" counts as not saying support) or 'drop' (left "
            f"out of the direct share), not {dk!r}; for bounds fit both and compare",
            param="dk",
        )
    if lhs is None:
        raise DataError("formula needs the list count on its left: 'y ~ x1 + x2'")
    if J is None:
        raise DataError("J (the number of control items) is needed with a direct question")
    roles = Roles(direct=direct, outcome=lhs, treat=treat, by=(area,), covariates=rhs)
    p = prepare(df.copy(), roles, J, support, dk_values, control, None, None, missing, True)
    in_list = p.treat_full >= 0
    in_direct = p.has_direct & ~(p.is_dk if dk == "drop" else np.zeros(p.n, bool))
    notes = list(p.notes)
    if dk == "drop" and p.is_dk.any():
        notes.append(
            f"{int(p.is_dk.sum())} \"don't know\" answer(s) to '{direct}' left out of the "
            "direct share (dk='drop')"
        )
    if dk == "no" and p.is_dk.any():
        notes.append(
            f"{int(p.is_dk.sum())} \"don't know\" answer(s) to '{direct}' count as not saying "
            "support (dk='no')"
        )
    notes.append(f"layout of the direct question: {p.layout}")
    return MultilevelData(
        y=np.where(in_list, np.nan_to_num(p.y_full), 0.0),
        t=np.where(in_list, np.maximum(p.treat_full, 0), 0).astype(float),
        X=p.X,
        terms=list(p.terms),
        codes=np.zeros(p.n, dtype=np.intp),
        labels=[],
        J=int(p.J),
        design=p.model_design,
        frame=p.frame,
        area_columns=[],
        notes=notes,
        in_list=in_list,
        d=np.where(in_direct, p.support, 0.0),
        in_direct=in_direct,
        layout=p.layout,
    )


def _patterns(d: MultilevelData) -> None:
    """Respondents with the same area, answers, arm and covariates, sorted by area."""
    cols = {"a": d.codes, "y": d.y, "t": d.t, "l": d.in_list.astype(float)}
    if d.d is not None:
        cols |= {"d": d.d, "m": d.in_direct.astype(float)}
    cols |= {f"x{j}": d.X[:, j] for j in range(d.X.shape[1])}
    key = pd.DataFrame(cols)
    grp = key.groupby(list(key.columns), sort=True)
    d.freq = grp.size().to_numpy().astype(float)
    first = grp.head(1).index.to_numpy()
    d.pattern = key.loc[first].sort_values(list(key.columns)).index.to_numpy()


def set_aside_treated_direct(d: MultilevelData) -> int:
    """Leave the direct answers of the treated list arm out of the model (patterns rebuilt);
    returns how many were set aside."""
    drop = d.in_direct & d.in_list & (d.t == 1)
    d.in_direct = d.in_direct & ~drop
    d.d = np.where(d.in_direct, d.d, 0.0)
    _patterns(d)
    return int(drop.sum())


def area_raw(d: MultilevelData, A: int) -> dict[str, np.ndarray]:
    """Each area's own estimates (no pooling): the difference in mean counts with its
    treated and control counts, and with a direct question the share saying support with
    its count of answers."""
    codes, lst = d.codes, d.in_list.astype(float)
    t = d.t * lst
    n1 = np.bincount(codes, weights=t, minlength=A)
    n0 = np.bincount(codes, weights=lst - t, minlength=A)
    s1 = np.bincount(codes, weights=d.y * t, minlength=A)
    s0 = np.bincount(codes, weights=d.y * (lst - t), minlength=A)
    out = {"n1": n1.astype(int), "n0": n0.astype(int)}
    with np.errstate(invalid="ignore", divide="ignore"):
        out["hidden"] = s1 / n1 - s0 / n0
        if d.d is not None:
            m = d.in_direct.astype(float)
            nd = np.bincount(codes, weights=m, minlength=A)
            out["direct"] = np.bincount(codes, weights=d.d * m, minlength=A) / nd
            out["nd"] = nd.astype(int)
    return out


#: the parts of the fixed effects, in the order of the model's linear indices
PARTS = ("sensitive", "control", "direct")


def fixed_effect_labels(d: MultilevelData) -> dict[str, list[str]]:
    """``parts`` and ``terms`` of the fixed effects (sensitive, control [, direct])."""
    r = 2 if d.d is None else 3
    k = len(d.terms)
    return {"parts": [p for p in PARTS[:r] for _ in range(k)], "terms": list(d.terms) * r}


def national_shares(d: MultilevelData) -> tuple[float, float | None]:
    """The national difference in mean counts and, with a direct question, the national
    share saying support."""
    lst = d.in_list
    tr = lst & (d.t == 1)
    hidden = float(d.y[tr].mean() - d.y[lst & ~tr].mean())
    return hidden, None if d.d is None else float(d.d[d.in_direct].mean())
