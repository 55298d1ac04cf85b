"""The views of the multilevel results (issue 14, item 4): a multilevel list experiment
(:func:`unspoken.multilevel_list`), its poststratification, the correlation of its areas
with an area-level indicator, and MRP's combination of the three.

Every table says which numbers are model-based and which raw; raw area shares appear only
where the result holds them (the small-cell rule has already hidden the others). Intervals
of a Bayesian fit (``method="bayes"``) are credible intervals and its sampler's R-hat and
effective sample sizes are shown, with a warning when they fail the usual thresholds.
"""

from __future__ import annotations

from typing import Any

from unspoken.report.views import base
from unspoken.report.views.base import DASH, Table, View, lvl, num, pct, pts

#: thresholds of a trustworthy sampler (Vehtari et al. 2021): R-hat at most 1.01, bulk ESS 400
RHAT_MAX, ESS_MIN = 1.01, 400
_HIDDEN, _DIRECT, _LINE = "#2166ac", "#e08214", "#b2182b"
_SD_NAMES = {
    "sensitive": "sensitive item",
    "control": "control items",
    "slope": "random slope",
    "direct": "direct question",
}


def _sorted_areas(fit: Any) -> list[Any]:
    return sorted(fit.areas, key=lambda a: a.estimate.estimate)


def _bayes(res: Any) -> bool:
    return getattr(res, "method", "laplace") == "bayes"


def _ci(res: Any, level: float) -> str:
    """The interval's column name: credible for a Bayesian fit, confidence otherwise."""
    return f"{lvl(level)} credible interval" if _bayes(res) else f"{lvl(level)} CI"


def _points(x: Any) -> str:
    """A gap in percentage points without the unit (the column header carries it)."""
    return pts(x).removesuffix(" points")


def _span(e: Any, fmt: Any = pct) -> str:
    return DASH if e is None else f"{fmt(e.ci_low)} to {fmt(e.ci_high)}"


def _value(x: Any) -> Any:
    """A national figure held as a number or as an Estimate."""
    return getattr(x, "estimate", x)


def _has_direct(res: Any) -> bool:
    return any(getattr(a, "direct", None) is not None for a in res.areas)


def _axes(fig_height: float, width: float = 7.5) -> tuple[Any, Any]:
    """A figure on matplotlib's Agg canvas (no pyplot) with one axes in the report's style."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, fig_height))
    FigureCanvasAgg(fig)
    return fig, _style(fig.add_subplot(1, 1, 1))


def _style(ax: Any) -> Any:
    ax.grid(color="0.9")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


# ---------------------------------------------------------------- plots


def caterpillar_plot(res: Any) -> Any:
    """Areas sorted by their model-based hidden share, with intervals and the national
    line(s): the difference in means for a fit, the poststratified national share for a
    poststratification. With a direct question, each area's direct share (and its interval)
    is drawn below its hidden share as a second marker, with the national direct line."""
    from matplotlib.lines import Line2D

    areas = _sorted_areas(res)[::-1]
    post = hasattr(res.national, "estimate")
    what = "poststratified" if post else "difference in means"
    fig = base.forest_plot([], [(str(a.area), a.estimate) for a in areas], "Share, % (model-based)")
    ax = fig.axes[0]
    handles = [Line2D([], [], color=_HIDDEN, marker="o", label="hidden share (list)")]
    ax.axvline(100 * _value(res.national), color=_HIDDEN, linestyle="--", linewidth=1)
    handles.append(Line2D([], [], color=_HIDDEN, linestyle="--", label=f"national hidden ({what})"))
    if _has_direct(res):
        ys = list(range(len(areas)))[::-1]
        for y, a in zip(ys, areas, strict=True):
            if a.direct is not None:
                e = a.direct
                ax.errorbar(100 * e.estimate, y - 0.3, xerr=[[100 * (e.estimate - e.ci_low)],
                            [100 * (e.ci_high - e.estimate)]], fmt="D", mfc="white",
                            color=_DIRECT, capsize=2, ms=5)  # fmt: skip
        ax.set_ylim(-1.0, len(areas) - 0.3)
        handles.append(Line2D([], [], color=_DIRECT, marker="D", mfc="white",
                              label="direct share (said 'support')"))  # fmt: skip
        nat = getattr(res, "national_direct", None)
        if nat is not None:
            ax.axvline(100 * _value(nat), color=_DIRECT, linestyle=":", linewidth=1)
            handles.append(Line2D([], [], color=_DIRECT, linestyle=":", label="national direct"))
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    return fig


def indicator_plot(ic: Any) -> Any:
    """Area estimates (with interval bars) against the indicator, the least-squares line of
    the estimates, the correlation with its interval in the title and the areas farthest
    from the line labelled."""
    fig, ax = _axes(5.0)
    _draw_indicator(fig, ax, ic)
    fig.tight_layout()
    return fig


def _draw_indicator(fig: Any, ax: Any, ic: Any) -> None:
    import numpy as np

    fr = ic.area_frame()
    x, y = fr["indicator"].to_numpy(), fr["estimate"].to_numpy()
    ax.errorbar(x, y, yerr=[y - fr["ci_low"].to_numpy(), fr["ci_high"].to_numpy() - y],
                fmt="o", color=_HIDDEN, ecolor="0.7", elinewidth=1, ms=4)  # fmt: skip
    grid = np.linspace(x.min(), x.max(), 50)
    ax.plot(grid, ic.line[0] + ic.line[1] * grid, color=_LINE, linewidth=1.2)
    far = np.argsort(-np.abs(y - (ic.line[0] + ic.line[1] * x)))[: min(5, len(x))]
    for k in far:
        ax.annotate(str(fr["area"].iloc[k]), (x[k], y[k]), xytext=(4, 4),
                    textcoords="offset points", fontsize=8)  # fmt: skip
    p = ic.pearson
    ax.set_title(
        f"r = {p.estimate:.2f} ({_ci(ic, p.level)} {p.ci_low:.2f} to {p.ci_high:.2f}), "
        f"{len(x)} areas",
        fontsize=10,
    )
    ax.set_xlabel(ic.indicator)
    label = "Gap" if ic.quantity == "gap" else ic.quantity_name.capitalize()
    ax.set_ylabel(f"{label} (model-based)")
    base.percent_axes(fig, "y", axes=[ax])


def mrp_plot(result: Any) -> Any:
    """MRP's figure: the caterpillar plot of the poststratified areas and, when an
    indicator was given, the indicator plot above it (one figure, as a report holds one)."""
    fig = caterpillar_plot(result.poststratified)
    ic = result.indicator
    if ic is None:
        return fig
    h, extra = fig.get_figheight(), 5.0
    fig.set_figheight(h + extra)
    for ax in fig.axes:  # the caterpillar keeps its inches, at the bottom
        x0, y0, w, hh = ax.get_position().bounds
        ax.set_position([x0, y0 * h / (h + extra), w, hh * h / (h + extra)])
    top = _style(fig.add_axes((0.12, (h + 0.7) / (h + extra), 0.8, (extra - 1.4) / (h + extra))))
    _draw_indicator(fig, top, ic)
    return fig


# ---------------------------------------------------------------- pieces of the views


def _sd_facts(fit: Any) -> list[str]:
    """The SDs of the area effects (logit scale) and the hidden-said correlation."""

    def text(e: Any) -> str:
        if e.std_error != e.std_error:  # nan: held at the boundary 0
            return "0 (at the boundary)"
        return f"{num(e.estimate)} (s.e. {num(e.std_error)})"

    sds = [f"{_SD_NAMES.get(k, k)} {text(e)}" for k, e in fit.sd.items() if k != "correlation"]
    out = [f"SD of the area effects (logit scale): {', '.join(sds)}"]
    r = fit.sd.get("correlation")
    if r is not None and r.estimate == r.estimate:
        out.append(
            f"Correlation of the areas' hidden and said effects: {num(r.estimate, 2)} "
            f"({_ci(fit, r.level)} {_span(r, lambda x: num(x, 2))})"
        )
    return out


def _diagnostics(fit: Any, v: View) -> None:
    """A Bayesian fit's worst R-hat and smallest ESS in the facts; warnings past the
    thresholds."""
    diag = getattr(fit, "diagnostics", None)
    if not diag:
        return

    def worst(key: str, pick: Any) -> tuple[str, float]:
        vals = {p: d.get(key, float("nan")) for p, d in diag.items()}
        vals = {p: x for p, x in vals.items() if x == x}
        if not vals:
            return DASH, float("nan")
        p = pick(vals, key=vals.get)
        return p, vals[p]

    (rp, rhat), (bp, bulk), (tp, tail) = (
        worst("rhat", max), worst("ess_bulk", min), worst("ess_tail", min)
    )  # fmt: skip
    v.facts.append(
        f"Sampler diagnostics over {len(diag)} quantities: largest R-hat {num(rhat, 3)} ({rp}); "
        f"smallest effective sample size: bulk {num(bulk, 0)} ({bp}), tail {num(tail, 0)} ({tp})"
    )
    if rhat > RHAT_MAX:
        v.warnings.append(
            f"R-hat of {rp} is {num(rhat, 3)} (above {RHAT_MAX}): the chains disagree, the "
            "posterior summaries are not reliable; run longer (more warmup and draws)"
        )
    if bulk < ESS_MIN:
        v.warnings.append(
            f"the bulk effective sample size of {bp} is {num(bulk, 0)} (below {ESS_MIN}): "
            "too few independent draws for reliable intervals; run more draws"
        )


def _range_text(areas: list[Any], attr: str, fmt: Any = pct) -> str:
    """'from X (area) to Y (area)' of one quantity of the areas."""
    have = sorted((a for a in areas if getattr(a, attr) is not None),
                  key=lambda a: getattr(a, attr).estimate)  # fmt: skip
    lo, hi = have[0], have[-1]
    return (
        f"from {fmt(getattr(lo, attr).estimate)} ({lo.area}) to "
        f"{fmt(getattr(hi, attr).estimate)} ({hi.area})"
    )


def _direct_headline(res: Any) -> str:
    word = "posterior" if _bayes(res) else "model-based"
    text = f"Said 'support' when asked directly ({word}): {_range_text(res.areas, 'direct')}"
    if any(a.gap is not None for a in res.areas):
        text += f"; gap (hidden - direct) {_range_text(res.areas, 'gap', pts)}"
    return text + "."


def _direct_table(res: Any, areas: list[Any], level: float, raw: bool) -> Table:
    """Direct share and gap by area (model-based), with the raw direct share when ``raw``."""
    rows = []
    for a in areas:
        row = [str(a.area), str(a.n) if a.n else "not surveyed",
               DASH if a.direct is None else pct(a.direct.estimate), _span(a.direct)]  # fmt: skip
        if raw:
            row.append(DASH if a.raw_direct is None else pct(a.raw_direct))
        row += [DASH if a.gap is None else _points(a.gap.estimate), _span(a.gap, _points)]
        rows.append(row)
    ci = _ci(res, level)
    cols = [
        "area",
        "n",
        "direct (model)",
        ci,
        *(["direct (raw)"] if raw else []),
        "gap (points)",
        "gap " + ci,
    ]
    title = "Direct share and gap by area (model-based; gap = hidden - direct, in points"
    title += "; raw = the area's own share saying 'support')" if raw else ")"
    return Table(title, cols, rows)


# ---------------------------------------------------------------- views


def multilevel_view(fit: Any) -> View:
    """A :class:`~unspoken.multilevel.results.MultilevelListFit`."""
    areas = _sorted_areas(fit)
    bayes = _bayes(fit)
    word = "posterior" if bayes else "model-based"
    v = View(title=f"Multilevel list experiment by {fit.area}" + (" (Bayesian)" if bayes else ""))
    v.headline.append(
        f"Hidden share by {fit.area} ({word}): {_range_text(areas, 'estimate')} across "
        f"{len(areas)} areas; national difference in means {pct(fit.national)}."
    )
    direct = _has_direct(fit)
    if direct:
        v.headline.append(_direct_headline(fit))
    v.facts.append(f"Respondents: {fit.n}; areas: {len(areas)}; control items J = {fit.J}")
    if direct:
        v.facts.append(f"Direct question: column '{fit.direct}'")
    v.facts += _sd_facts(fit)
    _diagnostics(fit, v)
    rows = [
        [
            str(a.area),
            str(a.n),
            pct(a.estimate.estimate),
            _span(a.estimate),
            DASH if a.raw is None else pct(a.raw),
            DASH if a.shrinkage is None else num(a.shrinkage, 2),
        ]
        for a in areas
    ]
    v.tables.append(
        Table(
            f"Hidden share by area ({word}; raw = the area's own difference in means)",
            ["area", "n", word, _ci(fit, fit.level), "raw", "pulled toward national"],
            rows,
        )
    )
    if direct:
        v.tables.append(_direct_table(fit, areas, fit.level, raw=True))
    v.tables.append(base._params_table(fit.tidy().iloc[: len(fit.params_)], "Fixed effects"))
    how = (
        "full Bayes: posterior summaries and central credible intervals"
        if bayes
        else "empirical Bayes; their intervals carry the uncertainty of the area effect and "
        "of the fixed effects"
    )
    v.notes += [
        f"Model-based estimates borrow strength across areas ({how}). Raw shares are each "
        "area's own data alone, shown only for areas large enough (the small-cell rule).",
        "'Pulled toward national' is (raw - model) / (raw - national): 0 = the area's own "
        "estimate, 1 = the national one.",
        *fit.notes,
    ]
    if any(a.shrinkage is not None and not 0 <= a.shrinkage <= 1 for a in areas):
        v.notes.append(
            "'Pulled toward national' outside 0 to 1: the model pulled the area past the "
            "national level or away from it. With area-level predictors each area is pulled "
            "toward its own predicted share, not the national one, and where the raw share is "
            "close to the national one the ratio is unstable."
        )
    if not fit.converged and not bayes:
        v.warnings.append("the maximisation did not converge: the estimates should not be used")
    v.plot = lambda: caterpillar_plot(fit)
    v.method = {
        "model": "binomial list model, random intercepts by area (sensitive and control)"
        + ("; logistic model of the direct answer, its area effect correlated" if direct else ""),
        "integration": "NUTS (NumPyro), posterior draws"
        if bayes
        else f"adaptive Gauss-Hermite quadrature, {fit.nodes} nodes per dimension",
        "variance": "posterior"
        if bayes
        else "inverse observed information of the marginal likelihood",
    }
    return v


def poststratified_view(ps: Any) -> View:
    """A :class:`~unspoken.multilevel.results.PoststratifiedFit`."""
    areas = _sorted_areas(ps)
    nat, ci = ps.national, _ci(ps, ps.level)
    v = View(title=f"Poststratified hidden share by {ps.area}")
    v.headline.append(
        f"Poststratified hidden share: national {pct(nat.estimate)} ({ci} {_span(nat)}); "
        f"by {ps.area} {_range_text(areas, 'estimate')}."
    )
    direct = _has_direct(ps)
    if ps.national_direct is not None:
        nd, ng = ps.national_direct, ps.national_gap
        text = f"Said 'support' when asked directly: national {pct(nd.estimate)} ({ci} {_span(nd)})"
        if ng is not None:
            text += f"; gap (hidden - direct) {pts(ng.estimate)} ({ci} {_span(ng, pts)})"
        v.headline.append(text + ".")
    if direct:
        v.headline.append(_direct_headline(ps))
    v.facts.append(
        f"Areas: {len(areas)} ({sum(a.n == 0 for a in areas)} not surveyed); population in "
        f"the cells ('{ps.count}'): {num(ps.population, 0)}"
    )
    rows = [
        [
            str(a.area),
            num(a.population, 0),
            str(a.n) if a.n else "not surveyed",
            pct(a.estimate.estimate),
            _span(a.estimate),
        ]
        for a in areas
    ]
    v.tables.append(
        Table(
            "Hidden share by area (model-based, weighted by the population's cells)",
            ["area", "population", "respondents", "poststratified", ci],
            rows,
        )
    )
    if direct:
        v.tables.append(_direct_table(ps, areas, ps.level, raw=False))
    v.notes += [
        "Each area's share averages the model's predictions over the population's cells, "
        "weighted by their counts; intervals carry the uncertainty of the area effect and of "
        "the fixed effects. No raw area shares are shown.",
        *ps.notes,
    ]
    v.plot = lambda: caterpillar_plot(ps)
    v.method = {
        "model": "binomial list model, random intercepts by area"
        + ("; logistic model of the direct answer" if direct else ""),
        "poststratification": "cell predictions averaged over each area's posterior "
        "(the fit's quadrature nodes), weighted by the cell counts",
    }
    return v


def _indicator_headline(ic: Any) -> str:
    p = ic.pearson
    return (
        f"Across the {len(ic.areas)} areas, '{ic.indicator}' correlates with the areas' "
        f"{ic.quantity_name} at r = {num(p.estimate, 2)} ({_ci(ic, p.level)} "
        f"{_span(p, lambda x: num(x, 2))}, from the uncertainty of the estimated shares)."
    )


def _indicator_warnings(ic: Any) -> list[str]:
    out = []
    if not ic.in_model:
        out.append(
            f"'{ic.indicator}' is not an area-level predictor of the fit: the model pulls "
            "every area toward one common mean, which biases the correlation toward 0; refit "
            f"with area_formula='~ {ic.indicator}'"
        )
    if ic.sd_at_zero:
        out.append(
            "the SD of the area effects is estimated at 0 (the boundary): the model-based "
            "shares are then an exact function of the predictors and the interval of the "
            "correlation is too narrow; use method='bayes'"
        )
    return out


def indicator_view(ic: Any) -> View:
    """An :class:`~unspoken.multilevel.indicator_results.IndicatorCorrelation`."""
    v = View(title=f"{ic.quantity_name.capitalize()} by {ic.area} against '{ic.indicator}'")
    v.headline.append(_indicator_headline(ic))
    s, f = ic.spearman, ic.fisher
    two = lambda x: num(x, 2)  # noqa: E731
    v.facts.append(f"Spearman's rank correlation: {two(s.estimate)} ({_ci(ic, s.level)} "
                   f"{_span(s, two)})")  # fmt: skip
    if f is not None:
        v.facts.append(
            f"Classic Fisher-z interval of r, treating the areas as a random sample of areas "
            f"and their shares as known: {_span(f, two)}"
        )
    v.facts.append(
        f"Correlation of the plotted model-based estimates themselves: {two(ic.of_estimates)}"
    )
    fmt = pts if ic.quantity == "gap" else pct
    rows = [
        [str(a.area), str(a.n), num(a.value, 2), fmt(a.estimate.estimate), _span(a.estimate, fmt)]
        for a in sorted(ic.areas, key=lambda a: a.value)
    ]
    v.tables.append(
        Table(
            f"{ic.quantity_name.capitalize()} by area (model-based) and '{ic.indicator}'",
            ["area", "n", ic.indicator, "model-based", _ci(ic, ic.level)],
            rows,
        )
    )
    v.warnings += _indicator_warnings(ic)
    v.notes += [
        "The correlation is the one across these areas between the indicator and the areas' "
        "true shares; its interval carries the uncertainty of the estimated shares (not the "
        "sampling of areas, which the Fisher-z interval assumes).",
        "The model-based estimates are pulled toward the model's prediction for their area, "
        "so they line up along the fitted line more tightly than the true shares do; the "
        "correlation above allows for that, the correlation of the plotted points does not.",
        *ic.notes,
    ]
    v.plot = lambda: indicator_plot(ic)
    v.method = {
        "correlation": f"Pearson's r per joint draw of the areas' shares ({ic.draws} draws, "
        f"seed {ic.seed}); estimate = mean, interval = central {lvl(ic.level)} of the draws",
        "draws": "posterior draws"
        if _bayes(ic)
        else "normal approximation on the logit "
        "scale behind the fit's intervals (areas correlated through the fixed effects)",
    }
    return v


def mrp_view(result: Any) -> View:
    """MRP (``result.fit``, ``result.poststratified``, ``result.indicator`` or ``None``): the
    poststratified estimates first, then the fit's areas (respondents, raw shares where
    allowed, shrinkage) and the indicator's correlation."""
    fv, pv = multilevel_view(result.fit), poststratified_view(result.poststratified)
    parts = [pv, fv]
    ic = result.indicator
    if ic is not None:
        parts.append(indicator_view(ic))
    v = View(title=f"Hidden opinion by {result.fit.area}: multilevel regression and "
             "poststratification" + (" (Bayesian)" if _bayes(result.fit) else ""))  # fmt: skip
    v.headline = pv.headline + ([_indicator_headline(ic)] if ic is not None else [])
    for part in parts:
        v.facts += part.facts
        v.tables += part.tables
        v.warnings += [w for w in part.warnings if w not in v.warnings]
        v.notes += [n for n in part.notes if n not in v.notes]
        v.method.update(part.method)
    v.plot = lambda: mrp_plot(result)
    return v
