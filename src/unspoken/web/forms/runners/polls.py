"""The poll-pooling runner and the parsers of its text fields (sample sizes, anchors)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from unspoken.web.forms.fields import FormError, fraction
from unspoken.web.forms.runners.common import level_of, pick


def default_n(text: str | None) -> dict[str, float] | None:
    """``Levada=1600, FOM=1500`` as a mapping (FormError on the field otherwise)."""
    if not text:
        return None
    out: dict[str, float] = {}
    for item in re.split(r"[,;\n]", text):
        if not item.strip():
            continue
        name, sep, num = item.rpartition("=")
        try:
            if not sep or not name.strip():
                raise ValueError(item)
            out[name.strip()] = fraction(num)
        except (ValueError, ZeroDivisionError):
            raise FormError(
                f"write each as POLLSTER=N, e.g. Levada=1600, FOM=1500; '{item.strip()}' is not.",
                field="default_n",
            ) from None
    return out or None


def anchors(v: dict[str, Any]) -> str | list[Any]:
    """The house-effect identification: known values, an unbiased pollster, or house
    effects that average zero."""
    from unspoken.polls import Anchor

    values = []
    for k in ("anchor1", "anchor2", "anchor3"):
        text = v.get(k)
        if not text:
            continue
        parts = [p.strip() for p in text.split(":")]
        try:
            if len(parts) not in (2, 3) or not parts[0]:
                raise ValueError(text)
            est = float(parts[1])
            se = float(parts[2]) if len(parts) == 3 else 0.0
            if se < 0 or est != est or se != se:
                raise ValueError(text)
        except ValueError:
            raise FormError(
                f"write the date, a colon and the value, e.g. 2007-11-24: 43.4 (and, if the "
                f"value is itself uncertain, another colon and its standard error); "
                f"'{text}' is not.",
                field=k,
            ) from None
        try:
            pd.Timestamp(parts[0])
        except (ValueError, TypeError):
            raise FormError(
                f"'{parts[0]}' is not a date: write it as YYYY-MM-DD, e.g. 2007-11-24.", field=k
            ) from None
        values.append(Anchor(parts[0], est, se))
    if values and v.get("anchor_pollster"):
        raise FormError(
            "known values already fix the level: leave this empty, or remove the known values.",
            field="anchor_pollster",
        )
    if values:
        return values
    if v.get("anchor_pollster"):
        return "pollster:" + v["anchor_pollster"]
    return "sum-to-zero"


def _fill_sample_sizes(df: pd.DataFrame, v: dict[str, Any], given: dict[str, float] | None):
    """The data with every missing sample size (of a pollster without a size of its own in
    ``given``) set to the form's default, the column that now holds them, and a note."""
    size = v["unknown_n"]
    if size is None or v["pollster"] is None:
        return df, v["n"], None
    pollsters = df[v["pollster"]].astype(str).str.strip()
    n_col = v["n"]
    missing = df[n_col].isna() if n_col else pd.Series(True, index=df.index)
    missing &= ~pollsters.isin(list(given or {}))
    missing &= df[v["pollster"]].notna()
    if not missing.any():
        return df, n_col, None
    out = df.copy()
    if n_col is None:
        n_col = "sample size"
        while n_col in out.columns:
            n_col += "_"
        out[n_col] = float("nan")
    out[n_col] = out[n_col].mask(missing, size)
    who = sorted(set(pollsters[missing]))
    note = (
        f"{int(missing.sum())} poll(s) of {', '.join(who)} have no sample size in the data: "
        f"each was counted as {size:,.0f} respondents (the page's 'Sample size when not "
        "given'); the width of the bands depends on this."
    )
    return out, n_col, note


def run_polls(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.polls import fit_polls

    given = default_n(v["default_n"])
    anchor = anchors(v)
    if v["date"] and (v["start"] or v["end"]):
        raise FormError(
            "give either the date of each poll, or its start and end columns, not both.",
            field="date",
        )
    if not v["date"] and not (v["start"] and v["end"]):
        field = "date" if not (v["start"] or v["end"]) else ("end" if v["start"] else "start")
        raise FormError(
            "choose the date column, or both the start and the end column of the fieldwork.",
            field=field,
        )
    frame, n_col, note = _fill_sample_sizes(df, v, given)
    result = fit_polls(
        frame,
        v["share"],
        v["pollster"],
        date=v["date"],
        start=v["start"],
        end=v["end"],
        n=n_col,
        default_n=given,
        dk_share=v["dk_col"],
        anchor=anchor,
        extra_variance=not v["no_extra_variance"],
        level=level_of(v),
        date_format=v["date_format"] or None,
        **pick(
            v,
            "scale",
            "period",
            "units",
            "fieldwork",
            "sigma",
            "window",
            "since",
            "until",
            "sigma_uncertainty",
        ),
    )
    if note:
        result.notes.append(note)
    return result
