"""Views of the falsification gap and of direct questions, and the direct poll's figure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from unspoken.report.views import base as b
from unspoken.report.views.base import Table, View, lvl, pct, pts


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
        f"method = {res.method}   n = {res.n}   variance = {res.vcov}   "
        f"direct question '{res.direct_column}', support = "
        f"{', '.join(map(str, res.support_values))}"
    )
    if res.dk_values:
        v.facts.append(
            f"don't know / refused = {', '.join(map(str, res.dk_values))} (dk = {res.dk})"
        )
    rows = _domain_rows(res, lambda row: [] if row.gap is None else _gap_quantities(res, row))
    v.tables.append(
        _domain_table(
            "Direct share, hidden share and gap (gap = hidden - direct, in points)",
            ["quantity", "estimate"],
            rows,
            res.level,
        )
    )
    if any(row.placebo for _, row in _domains(res) if not b._suppressed(row)):
        v.facts.append(_CORRECTED)
    if r.gap is not None and r.gap_se_independent is not None:
        v.facts.append(
            f"Correlation of the two estimates: {r.correlation:.3f}; the gap's s.e. ignoring "
            f"it would be {pts(r.gap_se_independent, 2)} instead of {pts(r.gap.std_error, 2)}."
        )
    for k, x in res.extra.items():
        if isinstance(x, dict) and "summary" in x:
            v.facts.append(f"{k}: {x['summary']}")
    v.notes = [*res.notes, *_suppressed_notes(res)]
    v.plot = lambda: res.plot()
    v.method = {
        "method": f"falsification gap, {res.method}",
        "direct question asked of": str(getattr(res, "layout_text", res.layout)),
        "respondents (n)": str(res.n),
        "variance estimator": str(res.vcov),
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


def _share_row(group: str, name: str, e: Any) -> list[str]:
    """A row of a table by domain: shares in percent, gaps and differences in points."""
    f = _pts_short if ("gap" in name or "deflation" in name) else pct
    ci = f"{f(e.ci_low)} to {f(e.ci_high)}".replace(" pts to", " to")
    return [group, name, f(e.estimate), f(e.std_error), ci, b._count(e.n)]


def _pts_short(x: Any) -> str:
    return b.DASH if b._bad(x) else f"{100 * float(x):.1f} pts"


def _domains(res: Any) -> list[tuple[dict[str, Any], Any]]:
    return [({}, res.overall), *res.by]


def _domain_rows(res: Any, lines: Callable[[Any], list[tuple[str, Any]]]) -> list[list[str]]:
    """Rows of a table by domain: ``lines(domain)`` gives its (label, estimate) pairs; a
    suppressed domain shows only its bound, one without estimates why."""
    rows = []
    for g, d in _domains(res):
        grp = b._group(g)
        got = [] if b._suppressed(d) else lines(d)
        if b._suppressed(d):
            rows.append([grp, "suppressed", "", "", "", d.n_text or ""])
        elif not got:
            rows.append([grp, str(d.note or "no estimate"), "", "", "", ""])
        rows += [_share_row(grp, name, e) for name, e in got]
    return rows


def _domain_table(title: str, first: list[str], rows: list[list[str]], level: float) -> Table:
    """A table by domain: group, the ``first`` two columns (label, value), s.e., CI, n."""
    columns = ["group", *first, "s.e.", f"{lvl(level)} CI", "n"]
    return Table(title, columns, rows, ["l", "l", "r", "r", "r", "r"])


def _suppressed_notes(res: Any) -> list[str]:
    return b._hidden_notes([(b._group(g), d) for g, d in res.by if b._suppressed(d)])


def _direct_lines(t: Any) -> list[tuple[str, Any]]:
    """(label, estimate) of one domain of the direct poll: each answer, then the support
    share (a bound pair low before high)."""
    low = "support" if t.support_upper is None else "support (low)"
    out = [(str(v), e) for v, e in t.categories]
    out += [(low, t.support), ("support (high)", t.support_upper)]
    return [(name, e) for name, e in out if e is not None]


def direct_view(res: Any) -> View:
    v = View(title=f"Direct question '{res.question}': what people say")
    t = res.overall
    if t.support is not None:
        sup = ", ".join(map(str, res.support_values or []))
        v.headline.append(
            f"{pct(t.support.estimate)} give a supporting answer ({sup}; "
            f"{b._interval(t.support)}; n = {t.n})."
        )
        if t.support_upper is not None:
            v.headline.append(
                f"Counting don't-know answers as support: {pct(t.support_upper.estimate)}."
            )
    elif t.categories:
        top = max(t.categories, key=lambda c: c[1].estimate)
        v.headline.append(
            f"Most common answer: '{top[0]}', {pct(top[1].estimate)} ({b._interval(top[1])})."
        )
    if res.dk_values:
        v.facts.append(
            f"Don't know / refused = {', '.join(map(str, res.dk_values))} (dk = {res.dk})"
        )
    v.facts.append(f"Variance: {res.vcov} (Taylor linearisation)")
    rows = _domain_rows(res, _direct_lines)
    v.tables.append(_domain_table("Share of each answer", ["answer", "share"], rows, res.level))
    if t.support is not None and any(tb.support is not None for _, tb in res.by):
        v.plot = lambda: direct_plot(res)
    v.notes = [*res.notes, *_suppressed_notes(res)]
    v.method = {
        "method": "survey-weighted shares of a direct question",
        "respondents (n)": str(t.n),
        "variance estimator": f"{res.vcov} (Taylor linearisation)",
        "intervals": f"{lvl(res.level)} intervals",
    }
    return v


_PLOT_SUFFIXES = (".svg", ".png", ".pdf")


def check_plot_path(path: str | Path | None) -> None:
    """A figure is written to .svg, .png or .pdf (:class:`DataError` before drawing)."""
    if path is not None and Path(path).suffix.lower() not in _PLOT_SUFFIXES:
        from unspoken.errors import DataError

        raise DataError(f"plot file must end in .svg, .png or .pdf, not '{Path(path).name}'")


def direct_plot(res: Any, path: str | Path | None = None) -> Any:
    """The direct poll's figure (the report's): the support share with its interval, overall
    and by group — or, without a support set, each answer's share; saved to ``path``."""
    check_plot_path(path)
    t = res.overall
    if t.support is not None:
        groups = [(b._group(g), tb.support) for g, tb in res.by if tb.support is not None]
        fig = b.forest_plot(
            [("All respondents", t.support)],
            groups,
            f"share giving a supporting answer, % ({lvl(res.level)} intervals)",
        )
    else:
        fig = b.forest_plot(
            [(str(lab), e) for lab, e in t.categories],
            [],
            f"share of each answer, % ({lvl(res.level)} intervals)",
        )
    if path is not None:
        fig.savefig(path)
    return fig
