"""Views of the re-analyses from published tables (:mod:`unspoken.tables`): a list
experiment from its answer counts, a direct poll from its topline, the gap from two
published estimates. Each view says what the published table's rounding could do."""

from __future__ import annotations

from typing import Any

from unspoken.report.views.base import Table, View, _est_row, _est_table, _interval, pct, pts, pval


def list_table_view(res: Any) -> View:
    """A list experiment from its answer counts (:class:`~unspoken.tables.ListTableResult`)."""
    v = View(title="List experiment from a published table of counts")
    d = res.dim
    v.headline.append(
        f"An estimated {pct(d.estimate)} hold the sensitive view (difference in means, "
        f"{_interval(d)})."
    )
    if res.ml is not None:
        v.headline.append(
            f"Maximum likelihood (no covariates): {pct(res.ml.estimate)} ({_interval(res.ml)})."
        )
    n0, n1 = round(sum(res.control)), round(sum(res.treated))
    v.facts.append(f"n = {res.n:,} ({n0:,} control, {n1:,} treated), J = {res.J}.")
    dt = res.design
    v.facts.append(
        f"Design-effect test (Blair & Imai 2012): Bonferroni p-value {pval(dt.p_bonferroni)}"
        + (" — design effect detected" if dt.design_effect else " — no design effect detected")
        + f" at level {dt.alpha:g}."
    )
    fc = res.floor_ceiling
    v.facts.append(
        f"Treated answering 0 (floor): {pct(fc['treated_0'])}; answering J + 1 = {res.J + 1} "
        f"(ceiling): {pct(fc['treated_J_plus_1'])}."
    )
    v.facts.append(res.rounding_text)
    rows = [_est_row("difference in means", d)]
    if res.ml is not None:
        rows.append(_est_row("maximum likelihood", res.ml))
    v.tables.append(_est_table("Prevalence", "estimator", rows, res.level))
    top = len(res.treated)
    v.tables.append(
        Table(
            "Answer counts (the published table)",
            ["answer", "control", "treated"],
            [[str(k), _count(res.control, k), _count(res.treated, k)] for k in range(top)],
            ["r", "r", "r"],
        )
    )
    v.notes = list(res.notes)
    if dt.design_effect:
        v.warnings.append("Design effect detected: the list estimates may be biased.")
    v.method = {
        "method": "difference in means (HC2), intercept-only ML (Imai 2011), design test "
        "(Blair & Imai 2012), all from the counts",
        "respondents (n)": f"{res.n:,}",
        "level": f"{res.level:g}",
    }
    return v


def _count(counts: list[Any], k: int) -> str:
    """A published count (whole) or one derived from a share (one decimal)."""
    if k >= len(counts):
        return ""
    c = counts[k]
    return f"{c:,}" if isinstance(c, int) else f"{c:,.1f}"


def topline_view(res: Any) -> View:
    """A direct poll from its topline (:class:`~unspoken.tables.ToplineResult`)."""
    v = View(title="Direct poll from a published topline")
    s = res.support
    what = ", ".join(res.support_values or [])
    if res.support_upper is not None:
        v.headline.append(
            f"Between {pct(s.estimate)} and {pct(res.support_upper.estimate)} support ({what}; "
            "the upper bound counts don't know as support)."
        )
    else:
        v.headline.append(f"{pct(s.estimate)} support ({what}), {_interval(s)}.")
    eff = (
        ""
        if res.deff == 1
        else f", design effect {res.deff:.3g} (effective n {res.n_effective:,.0f})"
    )
    v.facts.append(f"n = {res.n:,.0f}{eff}; shares given in {res.units}.")
    if res.dk_values:
        v.facts.append(
            f"Don't know ({', '.join(res.dk_values)}): "
            + {
                "no": "counted as non-support",
                "drop": "left out of the denominator",
                "bounds": "counted both ways (bounds)",
            }[res.dk]
            + "."
        )
    if res.rounding is not None:
        v.facts.append(res.rounding.text)
    if res.rounding_upper is not None:
        v.facts.append("Upper bound: " + res.rounding_upper.text)
    rows = [_est_row(str(lab), e) for lab, e in res.answers]
    rows.append(_est_row("support", s))
    if res.support_upper is not None:
        rows.append(_est_row("support (upper bound)", res.support_upper))
    v.tables.append(_est_table("Shares", "answer", rows, res.level))
    v.notes = list(res.notes)
    v.method = {
        "method": "shares of a simple random sample"
        + (" widened by the design effect" if res.deff != 1 else "")
        + f" ({res.vcov})",
        "level": f"{res.level:g}",
    }
    return v


def gap_table_view(res: Any) -> View:
    """The gap from two published estimates (:class:`~unspoken.tables.GapTableResult`)."""
    v = View(title="Gap from two published estimates")
    g = res.gap
    v.headline.append(
        f"Hidden minus said: {pts(g.estimate)} ({_interval(g, pts)}), assuming a correlation "
        f"of {res.correlation:g} between the two estimates."
    )
    v.facts.append(
        f"Hidden {pct(res.hidden.estimate)} (s.e. {pct(res.hidden.std_error, 2)}), said "
        f"{pct(res.direct.estimate)} (s.e. {pct(res.direct.std_error, 2)})."
    )
    v.facts.append(
        "The same respondents answered both: the correlation is an assumption."
        if res.same_respondents
        else "Independent samples assumed (correlation 0 unless stated)."
    )
    if res.rounding is not None:
        v.facts.append(res.rounding.text)
    rows = [
        _est_row("hidden", res.hidden),
        _est_row("said (direct)", res.direct),
        _est_row("gap", g, pts),
    ]
    v.tables.append(_est_table("Estimates", "", rows, res.level))
    if res.sensitivity:
        v.tables.append(
            _est_table(
                "The gap under other correlations of the two estimates",
                "correlation",
                [_est_row(f"{r:g}", e, pts) for r, e in res.sensitivity],
                res.level,
            )
        )
    v.notes = list(res.notes)
    v.method = {
        "method": "difference of two estimates, Var = se1² + se2² - 2 r se1 se2",
        "level": f"{res.level:g}",
    }
    return v
