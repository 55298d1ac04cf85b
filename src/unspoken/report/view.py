"""What a person should see of a result: one presentation model behind every rendering.

Each result describes itself once with ``view()`` (a :class:`View`: the headline first (the
prevalence, the gap, the latest trend, the verdict), short facts, formatted tables
(numbers as text, shares as percentages), notes and warnings, an optional plot and how the
result was computed); the builders that make those views live here. ``summary()`` (plain
text, :mod:`unspoken.report.text`), notebooks' ``_repr_html_``, the command line (rich
tables) and the HTML report all render the same view. Nothing here computes statistics;
it only reads result objects (duck-typed: this module imports no result module, so every
result module may import it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pandas as pd

__all__ = ["Table", "View", "describe", "describe_all", "num", "pct", "pval"]

DASH = "–"


# --------------------------------------------------------------------------- formatting


def _bad(x: Any) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def pct(x: Any, digits: int = 1) -> str:
    """A share as a percentage: 0.1553 -> '15.5%'."""
    return DASH if _bad(x) else f"{100 * float(x):.{digits}f}%"


def pts(x: Any, digits: int = 1) -> str:
    """A difference of shares in percentage points: 0.15 -> '15.0 points'."""
    return DASH if _bad(x) else f"{100 * float(x):.{digits}f} points"


def num(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` decimals (tiny or huge numbers in scientific notation)."""
    if _bad(x):
        return DASH
    v = float(x)
    if v != 0 and (abs(v) < 10 ** (-digits) or abs(v) >= 1e7):
        return f"{v:.2e}"
    return f"{v:.{digits}f}"


def pval(p: Any) -> str:
    """A p-value: four decimals, scientific below 1e-4."""
    if _bad(p):
        return "NA"
    p = float(p)
    return f"{p:.1e}" if p < 1e-4 else f"{p:.4f}"


def lvl(level: float) -> str:
    return f"{round(100 * level)}%"


# --------------------------------------------------------------------------- model


@dataclass
class Table:
    """A table of display strings; ``align`` is 'l' or 'r' per column. ``technical`` tables
    (model coefficients) are folded away in the HTML report."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    align: list[str] = field(default_factory=list)
    technical: bool = False

    def __post_init__(self) -> None:
        if not self.align:
            self.align = ["l"] + ["r"] * (len(self.columns) - 1)


@dataclass
class View:
    """The presentation of one result."""

    title: str
    headline: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    plot: Callable[[], Any] | None = None
    method: dict[str, str] = field(default_factory=dict)

    @property
    def other_notes(self) -> list[str]:
        """The notes that do not repeat a warning (a warning is shown once, as a warning)."""
        return [n for n in self.notes if n not in self.warnings]


def _est_row(name: str, e: Any, fmt: Callable[[Any], str] = pct) -> list[str]:
    if e is None:
        return [name, DASH, DASH, DASH]
    return [name, fmt(e.estimate), fmt(e.std_error), f"{fmt(e.ci_low)} to {fmt(e.ci_high)}"]


def _est_table(title: str, first: str, rows: list[list[str]], level: float) -> Table:
    return Table(title, [first, "estimate", "s.e.", f"{lvl(level)} CI"], rows)


def _group(g: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in g.items()) or "(all)"


def _estimates(x: Any) -> list[Any]:
    """A prevalence (one estimate, one per sensitive item, or none) as a list."""
    return [] if x is None else x if isinstance(x, list) else [x]


def _suppressed(x: Any) -> bool:
    """Was this group hidden by the small-cell rule (:mod:`unspoken.smallcells`)?"""
    return bool(getattr(x, "suppressed", False))


def _hidden_notes(pairs: list[tuple[str, Any]]) -> list[str]:
    """Why each suppressed group is hidden, one note per reason naming its groups:
    ``(label, group row)``; every suppressed row carries its reason (:mod:`unspoken.smallcells`)."""
    by_reason: dict[str, list[str]] = {}
    for label, x in pairs:
        if _suppressed(x):
            by_reason.setdefault(x.note or "suppressed to protect respondents", []).append(label)
    return [f"{', '.join(labels)}: {reason}" for reason, labels in by_reason.items()]


def _group_rows(groups: list[Any]) -> list[list[str]]:
    """Rows of a prevalence-by-group table (group, estimate, s.e., CI, n); a suppressed
    group shows no estimate and no count, only the bound (e.g. "n < 30")."""
    rows = []
    for g in groups:
        if _suppressed(g):
            rows.append([_group(g.group), "suppressed", "", "", g.n_text or ""])
        elif g.estimate is None:
            rows.append([_group(g.group), g.note or "no estimate", "", "", ""])
        for e in _estimates(g.estimate):
            rows.append([*_est_row(_labelled(_group(g.group), e), e), _count(e.n)])
    return rows


def _count(n: Any) -> str:
    return "" if n is None or _isna(n) else str(int(n))


def _by_table(rows: list[list[str]], level: float) -> Table:
    return Table(
        "Prevalence by group", ["group", "estimate", "s.e.", f"{lvl(level)} CI", "n"], rows
    )


def _labelled(name: str, e: Any) -> str:
    return f"{name} [{e.label}]" if e.label else name


def _interval(e: Any, fmt: Callable[[Any], str] = pct) -> str:
    return f"{lvl(e.level)} interval {fmt(e.ci_low)} to {fmt(e.ci_high)}"


def _params_table(tidy: Any, title: str = "Model coefficients") -> Table:
    rows = [
        [str(r["part"]), str(r["term"]), *(num(r[c]) for c in ("estimate", "std_error")),
         num(r["ci_low"]), num(r["ci_high"])]
        for _, r in tidy.iterrows()
    ]  # fmt: skip
    return Table(
        title,
        ["part", "term", "estimate", "s.e.", "CI low", "CI high"],
        rows,
        ["l", "l", "r", "r", "r", "r"],
        technical=True,
    )


# --------------------------------------------------------------------------- fits


def fit_view(fit: Any) -> View:
    """A fitted model (:class:`unspoken.results.FitResult`, also rr regressions)."""
    model = str(fit.model)
    is_rr = model.startswith("rr.")
    title = (fit.title or model).removeprefix("unspoken: ")
    v = View(title=title[:1].upper() + title[1:])
    level = fit.level
    items = _estimates(fit.prevalence)
    trait = "hold the sensitive trait" if not is_rr else "have the hidden trait"
    for e in items:
        who = f"'{e.label}'" if e.label else ""
        if who:
            v.headline.append(
                f"Sensitive item {who}: an estimated {pct(e.estimate)} ({_interval(e)}) {trait}."
            )
        else:
            v.headline.append(f"An estimated {pct(e.estimate)} ({_interval(e)}) {trait}.")
    info = f"n = {fit.n}"
    if fit.loglik is not None:
        info += f"   log-likelihood = {fit.loglik:.4f}   converged = {fit.converged}"
    info += f"   variance = {fit.vcov_type}"
    v.facts.append(info)
    design = getattr(fit, "design", None)
    if design is not None and hasattr(design, "describe"):
        v.facts.append(design.describe())
    if items:
        title = (
            "Prevalence of the sensitive item" if not is_rr else "Prevalence (average prediction)"
        )
        rows = [_est_row(e.label or "all respondents", e) for e in items]
        v.tables.append(_est_table(title, "item", rows, level))
    by_rows = _group_rows(fit.by)
    if by_rows:
        v.tables.append(_by_table(by_rows, level))
        if any(g.estimate is not None for g in fit.by):
            v.plot = lambda: fit_forest_plot(fit)
    extra = fit.extra or {}
    shares = {
        **extra.get("liars", {}),
        **{f"error share {k}": s for k, s in extra.get("error_share", {}).items()},
    }
    other = [_est_row(k.replace("_", " "), _e4(s, level)) for k, s in shares.items()]
    if "rho" in extra:
        other.append(_est_row("rho (overdispersion)", _e4(extra["rho"], level), num))
    for s in extra.get("single_list", []):
        other.append(_est_row(f"{s.get('item', 'single list')}", _e4(s, level)))
    if other:
        v.tables.append(_est_table("Other estimated quantities", "quantity", other, level))
    ct = extra.get("consistency_test")
    if ct:
        v.facts.append(
            f"Consistency of the two lists: chi2({ct['df']}) = {ct['statistic']:.3f}, "
            f"p = {pval(ct['p_value'])}"
        )
    v.tables.append(_params_table(fit.tidy()))
    # the estimator's own words on a failed fit are the warning, said once (not also a note)
    alarms = [n for n in fit.notes if any(w in n for w in _ALARMS)]
    v.warnings += alarms
    if not fit.converged and not alarms:
        v.warnings.append("The fit did not converge: treat its numbers with caution.")
    v.notes = [
        *(n for n in fit.notes if n not in alarms),
        *_hidden_notes([(_group(g.group), g) for g in fit.by]),
    ]
    v.method = {
        "method": model,
        "respondents (n)": str(fit.n),
        "variance estimator": str(fit.vcov_type),
        "intervals": f"{lvl(level)} Wald intervals",
    }
    if fit.iterations:
        v.method["iterations"] = str(fit.iterations)
    return v


# notes of an estimator that say its estimates are not to be used
_ALARMS = ("did not converge", "no finite maximum")


def _e4(d: dict[str, Any], level: float) -> Any:
    """An estimate stored as a dict (in ``FitResult.extra``) with the attributes of one."""
    return SimpleNamespace(**{k: d[k] for k in ("estimate", "std_error", "ci_low", "ci_high")},
                           level=level)  # fmt: skip


def fit_forest_plot(fit: Any) -> Any:
    """Prevalence with its interval overall and for each group of ``fit.by``."""
    overall = [(_labelled("All respondents", e), e) for e in _estimates(fit.prevalence)]
    groups = [(_labelled(_group(g.group), e), e) for g in fit.by for e in _estimates(g.estimate)]
    what = "hidden trait" if str(fit.model).startswith("rr.") else "sensitive item"
    return forest_plot(overall, groups, f"prevalence of the {what}, % ({lvl(fit.level)} intervals)")


def forest_plot(overall: list[tuple[str, Any]], groups: list[tuple[str, Any]], xlabel: str) -> Any:
    """Shares with their intervals, one row each: the overall rows (red squares) above the
    groups (blue circles). matplotlib's Agg canvas, no pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [*overall, *groups]
    fig = Figure(figsize=(7.5, 1.2 + 0.45 * len(rows)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(rows)))[::-1]
    for k, (y, (_name, e)) in enumerate(zip(ys, rows, strict=True)):
        top = k < len(overall)
        ax.errorbar(
            100 * e.estimate,
            y,
            xerr=[[100 * (e.estimate - e.ci_low)], [100 * (e.ci_high - e.estimate)]],
            fmt="s" if top else "o",
            color="#b2182b" if top else "#2166ac",
            capsize=3,
            ms=6,
        )
    ax.axvline(0, color="0.6", linewidth=0.8)
    ax.set_yticks(ys)
    ax.set_yticklabels([r[0] for r in rows])
    ax.set_xlabel(xlabel)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- other results


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


def gap_view(res: Any) -> View:
    v = View(title="The falsification gap: what people hide minus what they say")
    r = res.overall
    if r.gap is not None:
        g = r.gap
        word = "higher" if g.estimate >= 0 else "lower"
        hidden = "hidden (list)" if res.hidden_label == "list" else "hidden"
        v.headline.append(
            f"The {hidden} share is {pct(r.hidden.estimate)} against {pct(r.direct.estimate)} "
            f"when asked directly: {pts(abs(g.estimate))} {word} "
            f"({lvl(g.level)} interval {100 * g.ci_low:.1f} to {pts(g.ci_high)})."
        )
        if r.gap_lower is not None:
            v.headline.append(
                f"With don't-know answers counted either way, the gap lies between "
                f"{pts(r.gap_lower.estimate)} and {pts(r.gap.estimate)}."
            )
    else:
        v.headline.append(f"No overall estimate: {r.note}")
    v.facts.append(
        f"method = {res.method}   n = {res.n}   variance = {res.variance}   "
        f"direct question '{res.direct_column}', support = "
        f"{', '.join(map(str, res.support_values))}"
    )
    if res.dk_values:
        v.facts.append(
            f"don't know / refused = {', '.join(map(str, res.dk_values))} (dk = {res.dk})"
        )
    hidden = {_group(g): row for g, row in res.by if _suppressed(row)}
    rows = []
    for g, row in [({}, r), *res.by]:
        grp = _group(g)
        if _suppressed(row):
            rows.append([grp, "suppressed", "", "", "", row.n_text or ""])
        elif row.gap is None:
            rows.append([grp, str(row.note or "no estimate"), "", "", "", ""])
        else:
            rows += [_gap_row(grp, name, e) for name, e in _gap_quantities(res, row)]
    v.tables.append(
        Table(
            "Direct share, hidden share and gap (gap = hidden - direct, in points)",
            ["group", "quantity", "estimate", "s.e.", f"{lvl(res.level)} CI", "n"],
            rows,
            ["l", "l", "r", "r", "r", "r"],
        )
    )
    if any(row.placebo for _, row in [({}, r), *res.by] if not _suppressed(row)):
        v.facts.append(_CORRECTED)
    if r.gap is not None and r.gap_se_independent is not None:
        v.facts.append(
            f"Correlation of the two estimates: {r.correlation:.3f}; the gap's s.e. ignoring "
            f"it would be {pts(r.gap_se_independent, 2)} instead of {pts(r.gap.std_error, 2)}."
        )
    for k, x in res.extra.items():
        if isinstance(x, dict) and "summary" in x:
            v.facts.append(f"{k}: {x['summary']}")
    v.notes = [*res.notes, *_hidden_notes(list(hidden.items()))]
    v.plot = lambda: res.plot()
    v.method = {
        "method": f"falsification gap, {res.method}",
        "direct question asked of": str(getattr(res, "layout_text", res.layout)),
        "respondents (n)": str(res.n),
        "variance estimator": str(res.variance),
        "intervals": f"{lvl(res.level)} Wald intervals from joint influence functions",
    }
    return v


# placebo quantities in plain words (keys of GapRow.placebo); differences are in points
_PLACEBO = {
    "list": "placebo, list estimate",
    "truth": "placebo, true share",
    "deflation": "placebo deflation",
    "list_corrected": "hidden, corrected",
}
_CORRECTED = (
    "Placebo list: its deflation is its list estimate minus its true share; 'corrected' "
    "shares and gaps have that deflation taken out."
)


def _gap_quantities(res: Any, r: Any) -> list[tuple[str, Any]]:
    """(plain label, estimate) of one domain in reading order: direct, hidden, gap (a bound
    pair low before high), don't know, then the placebo list's quantities."""
    bounds = r.gap_lower is not None
    hidden = "hidden (list)" if res.hidden_label == "list" else f"hidden ({res.hidden_label})"
    out = [
        ("direct (low)" if r.direct_upper is not None else "direct", r.direct),
        ("direct (high)", r.direct_upper),
        (hidden, r.hidden),
        ("gap (low)", r.gap_lower),
        ("gap (high)" if bounds else "gap", r.gap),
        ("don't know", r.dk_share),
    ]
    pl = r.placebo or {}
    out += [(label, pl.get(k)) for k, label in _PLACEBO.items()]
    out += [
        ("gap (low), corrected", pl.get("gap_corrected_lower")),
        (f"gap{' (high)' if bounds else ''}, corrected", pl.get("gap_corrected")),
    ]
    known = {*_PLACEBO, "gap_corrected", "gap_corrected_lower"}
    out += [(f"placebo: {k.replace('_', ' ')}", e) for k, e in pl.items() if k not in known]
    return [(name, e) for name, e in out if e is not None]


def _gap_row(group: str, name: str, e: Any) -> list[str]:
    """A row of the gap table: shares in percent, gaps and differences in points."""
    f = _pts_short if ("gap" in name or "deflation" in name) else pct
    ci = f"{f(e.ci_low)} to {f(e.ci_high)}".replace(" pts to", " to")
    return [group, name, f(e.estimate), f(e.std_error), ci, _count(e.n)]


def _pts_short(x: Any) -> str:
    return DASH if _bad(x) else f"{100 * float(x):.1f} pts"


def _isna(x: Any) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def direct_view(res: Any) -> View:
    v = View(title=f"Direct question '{res.question}': what people say")
    t = res.overall
    if t.support is not None:
        sup = ", ".join(map(str, res.support_values or []))
        v.headline.append(
            f"{pct(t.support.estimate)} give a supporting answer ({sup}; "
            f"{_interval(t.support)}; n = {t.n})."
        )
        if t.support_upper is not None:
            v.headline.append(
                f"Counting don't-know answers as support: {pct(t.support_upper.estimate)}."
            )
    elif t.categories:
        top = max(t.categories, key=lambda c: c[1].estimate)
        v.headline.append(
            f"Most common answer: '{top[0]}', {pct(top[1].estimate)} ({_interval(top[1])})."
        )
    if res.dk_values:
        v.facts.append(
            f"Don't know / refused = {', '.join(map(str, res.dk_values))} (dk = {res.dk})"
        )
    v.facts.append(f"Variance: {res.variance} (Taylor linearisation)")
    hidden = {_group(g): tb for g, tb in res.by if _suppressed(tb)}
    rows = []
    for _, r in res.tidy().iterrows():
        if str(r["group"]) in hidden:
            tb = hidden[str(r["group"])]
            rows.append([str(r["group"]), "suppressed", "", "", "", tb.n_text or ""])
            continue
        if _isna(r.get("estimate")):
            rows.append([str(r["group"]), str(r["value"]), "", "", "", ""])
            continue
        rows.append(
            [
                str(r["group"]),
                str(r["value"]),
                pct(r["estimate"]),
                pct(r["std_error"]),
                f"{pct(r['ci_low'])} to {pct(r['ci_high'])}",
                "" if _isna(r["n"]) else str(int(r["n"])),
            ]
        )
    v.tables.append(
        Table(
            "Share of each answer",
            ["group", "answer", "share", "s.e.", f"{lvl(res.level)} CI", "n"],
            rows,
            ["l", "l", "r", "r", "r", "r"],
        )
    )
    groups = [(_group(g), tb.support) for g, tb in res.by if tb.support is not None]
    if t.support is not None and groups:
        v.plot = lambda: forest_plot(
            [("All respondents", t.support)],
            groups,
            f"share giving a supporting answer, % ({lvl(res.level)} intervals)",
        )
    v.notes = [*res.notes, *_hidden_notes(list(hidden.items()))]
    v.method = {
        "method": "survey-weighted shares of a direct question",
        "respondents (n)": str(t.n),
        "variance estimator": f"{res.variance} (Taylor linearisation)",
        "intervals": f"{lvl(res.level)} intervals",
    }
    return v


def combined_view(res: Any) -> View:
    v = View(title="Combined list and direct estimator (Aronow, Coppock, Crawford & Green 2015)")
    c = res.combined
    v.headline.append(
        f"Combined estimate: {pct(c.estimate)} ({_interval(c)}); direct answers "
        f"{pct(res.direct.estimate)}, list alone {pct(res.list.estimate)}."
    )
    v.facts.append(
        f"n = {res.n}   treated = {res.n_treated}   direct 'yes' = {res.n_direct_yes}"
        + (f"   covariates: {', '.join(res.covariates)}" if res.covariates else "")
    )
    rows = [
        _est_row(name, e)
        for name, e in (("combined", c), ("direct", res.direct), ("list (conventional)", res.list))
    ]
    v.tables.append(_est_table("Estimates", "quantity", rows, c.level))
    v.tables.append(
        Table(
            "Placebo tests: (I) list estimate among direct 'yes' = 1; "
            "(II) effect of the treatment list on the direct answer = 0",
            ["test", "H0", "estimate", "s.e.", "p-value", "n"],
            [
                [
                    t.name,
                    f"= {t.null:g}",
                    num(t.estimate),
                    num(t.std_error),
                    pval(t.p_value),
                    str(t.n),
                ]
                for t in res.placebo_tests
            ],
        )
    )
    for t in res.placebo_tests:
        if t.p_value < 0.05:
            v.warnings.append(
                f"Placebo test {t.name} rejects at the 5% level (p = {pval(t.p_value)}): "
                "an assumption of the combined estimator looks violated."
            )
    v.notes = list(res.notes)
    v.method = {
        "method": "combined list and direct estimator",
        "respondents (n)": str(res.n),
        "intervals": f"{lvl(c.level)} intervals",
    }
    return v


def polls_view(res: Any) -> View:
    v = View(title="Pooled polls: one trend across pollsters")
    f = 100.0 if res.units != "percent" else 1.0

    def s(x: Any, d: int = 1) -> str:
        return DASH if _bad(x) else f"{f * float(x):.{d}f}"

    lat = res.latest()
    v.headline.append(
        f"Latest ({lat.label}): {s(lat.estimate)}% "
        f"({lvl(res.level)} band {s(lat.ci_low)} to {s(lat.ci_high)})."
    )
    if res._window_fits():
        ch = res.change()
        v.headline.append(
            f"Change over {res.window} days ({ch.label}): {f * ch.estimate:+.1f} points "
            f"({lvl(res.level)} interval {s(ch.ci_low)} to {s(ch.ci_high)})."
        )
    v.facts.append(
        f"polls = {res.n_polls}   pollsters = {len(res.house_effects)}   "
        f"periods = {len(res.trend)} ({res.period}s)   scale = {res.scale}   "
        f"fieldwork = {res.fieldwork}"
    )
    sigma = (
        f"innovation SD per {res.period} = {s(res.sigma, 3)} points"
        + (" [fixed]" if res.sigma_fixed else "")
        if math.isfinite(res.sigma)
        else "innovation SD not estimated (all polls in one period)"
    )
    v.facts.append(f"identification: {res.identification}   {sigma}   converged = {res.converged}")
    he = res.house_effects
    if res.has_house_effects:
        v.tables.append(
            Table(
                "House effects (points; positive = this pollster reads high)",
                ["pollster", "polls", "estimate", "s.e.", f"{lvl(res.level)} CI", "extra SD"],
                [
                    [
                        str(r.pollster),
                        str(int(r.n_polls)),
                        s(r.estimate, 2),
                        s(r.std_error, 2),
                        f"{s(r.ci_low, 2)} to {s(r.ci_high, 2)}",
                        s(r.extra_sd, 2),
                    ]
                    for r in he.itertuples(index=False)
                ],
            )
        )
    else:  # one pollster: no house effect (a note says why), its extra SD as a fact
        v.facts.append(_one_pollster(he.iloc[0], s))
    for r in res.anchors.itertuples(index=False):
        v.facts.append(
            f"Anchor: {r.date.date()} = {r.estimate:g}"
            + (f" (s.e. {r.std_error:g})" if r.std_error > 0 else " (fixed)")
        )
    h = res.hard_to_say
    if h is not None:
        cols = list(h.table.columns)
        v.tables.append(
            Table(
                "House effects among all respondents vs. among those with an opinion "
                "(points; both sum-to-zero)",
                [c.replace("_", " ") for c in cols],
                [[str(x) if isinstance(x, str) else s(x, 2) for x in row]
                 for row in h.table.itertuples(index=False)],
            )
        )  # fmt: skip
        v.facts.append(_explained(h.explained))
    v.notes = list(res.notes)
    if not res.converged:
        v.warnings.append("The fit did not converge: treat its numbers with caution.")
    v.plot = lambda: res.plot()
    v.method = {
        "method": "latent random walk with house effects (Jackman 2005), exact smoother",
        "polls": str(res.n_polls),
        "log-likelihood (restricted)": f"{res.loglik:.3f}",
        "intervals": f"{lvl(res.level)} bands",
    }
    return v


def _one_pollster(r: Any, s: Callable[[Any, int], str]) -> str:
    """The one pollster's extra SD and scatter (a result without a house-effect table)."""
    sd = (
        f"extra SD {s(r['extra_sd'], 2)} points"
        if r["extra_sd_estimated"]
        else "extra SD not estimated (fewer than 3 polls, or extra variance off)"
    )
    return (
        f"Pollster {r['pollster']} ({int(r['n_polls'])} polls): {sd}; RMS residual "
        f"{r['rms_binomial_z']:.2f} binomial standard errors"
    )


def _explained(share: float) -> str:
    """What "hard to say" explains of the differences between pollsters, in plain words; a
    negative share (the decided shares differ more) is said, not printed as a percentage."""
    if not math.isfinite(share):
        return (
            "The house effects among all respondents are all 0, so there is no difference "
            "between pollsters for 'hard to say' to explain."
        )
    if share >= 0:
        return (
            f"'Hard to say' answers explain {100 * share:.0f}% of the between-pollster variance "
            "of the house effects."
        )
    return (
        "'Hard to say' answers explain none of the differences between pollsters: among "
        "those with an opinion the pollsters differ even more than among all respondents."
    )


def percent_axes(fig: Any, which: str, axes: Sequence[Any] | None = None) -> Any:
    """Label a figure's share axes ('x' or 'y') in percent (0.1 -> 10%) and its gap axes
    (labelled 'Gap ...') in points, as the text speaks; returns the figure. Used by the
    plots of the gap and of pooled polls; ``axes`` limits it to some of the figure's axes."""
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    for ax in fig.axes if axes is None else axes:
        axis = ax.xaxis if which == "x" else ax.yaxis
        if axis.get_label().get_text().lower().startswith("gap"):
            axis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{100 * x:+.0f} pts"))
            axis.set_label_text(axis.get_label().get_text() + " (points)")
        else:
            axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    return fig


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
    per = " per group" if res.type == "two.sample" else ""
    if res.solved_for == "n":
        v.headline.append(
            f"n{per} = {res.n} respondents give power {res.power:.2f} "
            f"(achieved {res.achieved_power:.4f})."
        )
    else:
        v.headline.append(f"Power = {res.power:.4f} with n{per} = {res.n:g}.")
    v.facts.append(res.design.describe())
    v.facts.append(
        f"{res.type}, {res.alternative}: prevalence {res.presp:g} against "
        f"{res.presp_null:g} at significance level {res.sig_level:g}"
    )
    v.method = {"method": "power of the Wald test (R rr power.rr.test)", "rule for n": res.n_rule}
    return v


def hausman_view(res: Any) -> View:
    v = View(title="Hausman test, list ML vs NLS")
    p = "not computed" if res.p_value is None else pval(res.p_value)
    v.headline.append(f"Hausman statistic {res.statistic:.4f} on {res.df} df, p = {p}.")
    v.notes = list(res.notes)
    return v


def list_power_view(res: Any) -> View:
    """Power of a list experiment or of its gap (:class:`~unspoken.power.ListPower`)."""
    gap = res.gap is not None
    v = View(title="Power of a list experiment" + (" gap" if gap else ""))
    side = "two-sided" if res.alternative == "two.sided" else "one-sided"
    share = (
        "half of them"
        if abs(res.treated_share - 0.5) < 1e-12
        else f"{res.treated_share:.0%} of them"
    )
    if not gap:
        what = f"a prevalence of {res.prevalence:.0%} against {res.null:.0%}"
    else:
        what = (
            f"a falsification gap of {res.gap * 100:+.1f} points (list {res.prevalence:.0%}"
            f" vs direct {res.direct_share:.0%}) against {res.gap_null * 100:+.1f}"
        )
    if res.solved_for == "n":
        v.headline.append(
            f"To detect {what} with {res.power:.0%} power ({side} test at level "
            f"{res.alpha:g}) you need about {int(res.n):,} respondents, {share} shown "
            f"the treated list."
        )
    else:
        v.headline.append(
            f"With {round(res.n):,} respondents ({share} shown the treated list), a "
            f"{side} test at level {res.alpha:g} detects {what} with probability "
            f"{res.power:.1%}."
        )
    v.facts.append(
        f"Standard error of the estimate: {res.std_error:.4f}. Control count variance "
        f"{res.control_var:.4f} (J = {res.J}), treated {res.treated_var:.4f}."
    )
    v.facts.append(_assumed_correlations(res))
    if gap:
        v.facts.append(_assumed_link(res))
    if res.n_optimal is not None and abs(res.optimal_treated_share - res.treated_share) > 0.005:
        v.facts.append(
            f"Showing {res.optimal_treated_share:.0%} the treated list (the variance-"
            f"minimising split) would need {res.n_optimal:,}."
        )
    if res.n_conservative is not None and res.n_conservative != res.n:
        v.facts.append(
            "Without assuming how hidden and direct answers are linked (worst case), "
            f"{res.n_conservative:,} respondents."
        )
    v.notes = list(res.notes)
    v.method = {
        "method": "normal approximation to the difference-in-means test"
        + (" of the gap" if gap else ""),
        "level (alpha)": f"{res.alpha:g}",
    }
    return v


def _assumed_link(res: Any) -> str:
    """The link between hidden and direct answers a gap power calculation assumed, with the
    correlation it implies."""
    cov = res.cov_direct
    link = str(res.direct_link or "")
    named = "" if link.startswith("correlation") or not link else f"{link}, "
    if cov is None or _bad(cov):
        return f"Assumed link between hidden and direct answers: {link or 'not stated'}."
    pi, d = res.prevalence, res.direct_share
    denom = math.sqrt(pi * (1 - pi) * d * (1 - d)) if 0 < pi < 1 and 0 < d < 1 else 0.0
    corr = f"a correlation of {cov / denom:.2f} " if denom > 0 else ""
    return f"Assumed link between hidden and direct answers: {named}{corr}(covariance {cov:.4f})."


def _assumed_correlations(res: Any) -> str:
    """The correlations a list power calculation assumed for the treated list's variance."""
    text = (
        "Assumed correlation of the sensitive item with the control count: "
        f"{getattr(res, 'sensitive_cor', 0.0):g}"
    )
    rho = getattr(res, "rho", None)
    if rho is not None:
        text += f"; among the control items: {rho:g}"
    return text + "."


def simulated_power_view(res: Any) -> View:
    """Monte Carlo power (:class:`unspoken.power.SimulatedPower`)."""
    v = View(title="Simulated power")
    v.headline.append(
        f"{res.estimator} on {res.reps:,} simulated {res.design} surveys of {res.n:,}: power "
        f"{res.power:.3f} (Monte Carlo s.e. {res.mc_se:.3f}) to reject {res.null:g} when the "
        f"truth is {res.truth:g}."
    )
    v.facts.append(
        f"Estimates: mean {res.mean_estimate:.4f}, s.d. {res.sd_estimate:.4f}; "
        f"mean reported s.e. {res.mean_std_error:.4f}."
        + (f" {res.failures} fits failed." if res.failures else "")
    )
    v.method = {
        "method": f"simulation, {res.reps:,} replications",
        "level (alpha)": f"{res.alpha:g}",
        "alternative": str(res.alternative),
    }
    return v


def hard_to_say_view(res: Any) -> View:
    """House effects among all respondents vs. among those with an opinion."""
    v = View(title="'Hard to say' and the house effects")
    f = 1.0 if res.units == "percent" else 100.0
    v.headline.append(_explained(res.explained))
    cols = list(res.table.columns)
    v.tables.append(
        Table(
            "House effects among all respondents vs. among those with an opinion "
            "(points; both sum-to-zero; decided effects converted to all-respondent units)",
            [c.replace("_", " ") for c in cols],
            [[str(x) if isinstance(x, str) else num(f * float(x), 2) for x in row]
             for row in res.table.itertuples(index=False)],
        )
    )  # fmt: skip
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


def describe(result: Any) -> list[View]:
    """The views of one result: its ``views()`` when it has several sections (a design
    test per item), else its ``view()``."""
    if isinstance(result, View):
        return [result]
    if hasattr(result, "views"):
        return list(result.views())
    if hasattr(result, "view"):
        return [result.view()]
    raise TypeError(f"{type(result).__name__} has no view(): not an unspoken result")


def describe_all(results: Any | Sequence[Any]) -> list[View]:
    """Views of one result or of a sequence of results, in order."""
    if isinstance(results, list | tuple):
        return [v for r in results for v in describe(r)]
    return describe(results)
