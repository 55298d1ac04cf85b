"""The published-table runners (no data): the typed table becomes the same call the
``table-list``, ``table-direct`` and ``table-gap`` commands make."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.web.forms.runners.common import level_of, pick


def run_table_list(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.tables import list_from_counts
    from unspoken.tables.parse import arms_text

    sizes = pick(v, "n_control", "n_treated")
    return list_from_counts(
        **arms_text(v["control"] or "", v["treated"] or "", v["decimals"], sizes),
        J=v["J"],
        **sizes,
        units=(v["units"] or None) if v["n_control"] or v["n_treated"] else None,
        alpha=float(v["alpha"]),
        level=level_of(v),
    )


def run_table_direct(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.tables import direct_from_topline
    from unspoken.tables.parse import shares_text

    shares, typed = shares_text([v["shares"] or ""], "shares")
    return direct_from_topline(
        shares,
        v["n"],
        units=v["units"] or None,
        **pick(v, "support", "dk", "dk_values", "deff", "n_eff", "rest"),
        decimals=typed if v["decimals"] is None else v["decimals"],
        level=level_of(v),
    )


def run_table_gap(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.tables import gap_from_estimates
    from unspoken.tables.parse import gap_text

    spreads = pick(v, "hidden_se", "direct_se", "hidden_ci", "direct_ci")
    return gap_from_estimates(
        **gap_text(v["hidden"] or "", v["direct"] or "", spreads, v["correlations"], v["decimals"]),
        units=v["units"] or None,
        correlation=v["correlation"] or 0.0,
        same_respondents=bool(v["same_respondents"]),
        ci_level=v["ci_level"] or 0.95,
        level=level_of(v),
    )
