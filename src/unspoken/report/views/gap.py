"""Views of the falsification gap and of direct questions."""

from __future__ import annotations

from typing import Any

from unspoken.report.views.base import (
    DASH,
    Table,
    View,
    _bad,
    _count,
    _group,
    _hidden_notes,
    _interval,
    _isna,
    _suppressed,
    forest_plot,
    lvl,
    pct,
    pts,
)


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
