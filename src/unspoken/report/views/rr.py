"""Views of randomized-response results: prevalence and power."""

from __future__ import annotations

from typing import Any

from unspoken.report.views.base import (
    View,
    _by_table,
    _est_row,
    _est_table,
    _group,
    _group_rows,
    _hidden_notes,
    _interval,
    pct,
)


def rr_prevalence_view(res: Any) -> View:
    v = View(title="Randomized response: prevalence (closed form)")
    e = res.prevalence
    v.headline.append(f"An estimated {pct(e.estimate)} ({_interval(e)}) have the hidden trait.")
    v.facts.append(res.design.describe())
    v.facts.append(
        f"n = {res.n}   mean answer = {res.mean_answer:.4f}   variance = {res.vcov_type}"
    )
    v.tables.append(_est_table("Prevalence", "group", [_est_row("all respondents", e)], e.level))
    rows = _group_rows(res.by)
    if rows:
        v.tables.append(_by_table(rows, e.level))
    v.notes = [*res.notes, *_hidden_notes([(_group(g.group), g) for g in res.by])]
    v.method = {
        "method": res.model,
        "respondents (n)": str(res.n),
        "variance estimator": str(res.vcov_type),
    }
    return v


def rr_power_view(res: Any) -> View:
    v = View(title="Power of a randomized response test")
    two = res.type == "two.sample"
    per = " per group" if two else ""
    what = "difference" if two else "prevalence"
    if res.alternative == "one.sided":
        test = f"a one-sided test ({what} above {res.presp_null:g})"
    else:
        test = f"a two-sided test ({what} different from {res.presp_null:g})"
    test += f" at level {res.alpha:g}"
    if res.solved_for == "n":
        v.headline.append(
            f"n{per} = {res.n} respondents give power {res.power:.2f} "
            f"(achieved {res.achieved_power:.4f}) for {test}."
        )
    else:
        v.headline.append(f"Power = {res.power:.4f} with n{per} = {res.n:g} for {test}.")
    v.facts.append(res.design.describe())
    v.facts.append(
        f"{res.type}, {res.alternative}: {what} {res.presp:g} against "
        f"{res.presp_null:g} at significance level {res.alpha:g}"
    )
    v.method = {"method": "power of the Wald test (R rr power.rr.test)", "rule for n": res.n_rule}
    if res.r is not None:
        v.facts.append(
            f"A share r = {res.r:g} of the respondents is in the first subsample; the "
            + (
                f"standard error treats q = {res.q:.4g} as known, as R does"
                if res.se_rule == "r"
                else f"standard error allows for estimating q (planned {res.q:.4g})"
            )
        )
        v.method["standard error"] = (
            "R's: q treated as known" if res.se_rule == "r" else "q estimated (joint)"
        )
    return v
