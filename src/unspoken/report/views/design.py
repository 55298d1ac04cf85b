"""Views of the design tests: design effects, several items, and the Hausman test."""

from __future__ import annotations

from typing import Any

from unspoken.report.views.base import (
    Table,
    View,
    num,
    pct,
    pval,
)


def design_test_view(res: Any, item: str | None = None) -> View:
    v = View(title="Design-effect test (Blair & Imai 2012)" + (f": item '{item}'" if item else ""))
    v.headline.append(res.verdict)
    v.facts.append(
        f"n = {res.n} ({res.n_control} control, {res.n_treated} treated), J = {res.J}; "
        f"{res.moment_selection}"
    )
    v.facts.append(f"Bonferroni-corrected p-value: {pval(res.p_bonferroni)}")
    fc = res.floor_ceiling
    v.facts.append(
        f"Treated answering 0 (floor): {pct(fc['treated_0'])}; answering J + 1 = {res.J + 1} "
        f"(ceiling): {pct(fc['treated_J_plus_1'])}"
    )
    v.tables.append(
        Table(
            "Estimated shares of respondent types, pi(y, z) = Pr(Y(0) = y, Z = z)",
            ["y", "z", "estimate", "s.e.", "note"],
            [
                [
                    str(p.y),
                    str(p.z),
                    num(p.estimate),
                    num(p.std_error),
                    "negative" if p.estimate < 0 else "",
                ]
                for p in res.pi
            ],
            ["r", "r", "r", "r", "l"],
            technical=True,
        )
    )
    v.tables.append(
        Table(
            "Tests of pi(y, z) >= 0",
            ["z", "p-value", "LR statistic", "method", "moments y"],
            [
                [
                    str(t.z),
                    pval(t.p_value),
                    num(t.statistic),
                    t.method,
                    ", ".join(str(y) for y in t.moments) or "none",
                ]
                for t in res.tests
            ],
            ["r", "r", "r", "l", "l"],
            technical=True,
        )
    )
    v.notes = list(res.notes)
    if res.design_effect:
        v.warnings.append("Design effect detected: the list estimates may be biased.")
    v.method = {
        "method": "Blair & Imai (2012) likelihood-ratio test with Bonferroni correction",
        "respondents (n)": str(res.n),
        "level (alpha)": f"{res.alpha:g}",
        "compatibility": res.compat,
    }
    return v


def multi_design_test_view(res: Any) -> View:
    """One view of a design test per sensitive item, merged (the report shows them apart)."""
    parts = [design_test_view(r, item) for item, r in res.results.items()]
    v = View(title="Design-effect tests, one per sensitive item (Blair & Imai 2012)")
    for item, p in zip(res.results, parts, strict=True):
        v.headline += [f"Item '{item}': {h}" for h in p.headline]
        v.facts += [f"Item '{item}': {f}" for f in p.facts]
        v.tables += [
            Table(f"Item '{item}': {t.title}", t.columns, t.rows, t.align, t.technical)
            for t in p.tables
        ]
        v.notes += [n for n in p.notes if n not in v.notes]
        v.warnings += [f"Item '{item}': {w}" for w in p.warnings]
    v.method = parts[0].method if parts else {}
    return v


def hausman_view(res: Any) -> View:
    v = View(title="Hausman test, list ML vs NLS")
    p = "not computed" if res.p_value is None else pval(res.p_value)
    v.headline.append(f"Hausman statistic {res.statistic:.4f} on {res.df} df, p = {p}.")
    v.notes = list(res.notes)
    return v
