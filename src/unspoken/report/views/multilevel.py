"""The view of a multilevel list experiment (:func:`unspoken.multilevel_list`): the areas'
model-based hidden shares with their respondent counts and shrinkage, the random-effect SDs
and the fixed effects; raw area shares only where the small-cell rule allows, labelled as
such."""

from __future__ import annotations

from typing import Any

from unspoken.report.views.base import DASH, Table, View, _params_table, forest_plot, lvl, num, pct


def _sorted_areas(fit: Any) -> list[Any]:
    return sorted(fit.areas, key=lambda a: a.estimate.estimate)


def caterpillar_plot(fit: Any) -> Any:
    """Areas sorted by their model-based hidden share, with intervals and the national
    line: the difference in means for a fit, the poststratified national share for a
    poststratification."""
    rows = [(str(a.area), a.estimate) for a in _sorted_areas(fit)][::-1]
    national = getattr(fit.national, "estimate", fit.national)
    what = "poststratified" if national is not fit.national else "difference in means"
    fig = forest_plot([], rows, f"Hidden share, % (model-based; dashed: national {what})")
    ax = fig.axes[0]
    ax.axvline(100 * national, color="#b2182b", linestyle="--", linewidth=1)
    return fig


def multilevel_view(fit: Any) -> View:
    """A :class:`~unspoken.multilevel.results.MultilevelListFit`."""
    areas = _sorted_areas(fit)
    lo, hi = areas[0], areas[-1]
    v = View(title=f"Multilevel list experiment by {fit.area}")
    v.headline.append(
        f"Model-based hidden share by {fit.area}: from {pct(lo.estimate.estimate)} "
        f"({lo.area}) to {pct(hi.estimate.estimate)} ({hi.area}) across {len(areas)} areas; "
        f"national difference in means {pct(fit.national)}."
    )

    def sd_text(e: Any) -> str:
        if e.std_error != e.std_error:  # nan: held at the boundary 0
            return "0 (at the boundary)"
        return f"{num(e.estimate)} (s.e. {num(e.std_error)})"

    v.facts += [
        f"Respondents: {fit.n}; areas: {len(areas)}; control items J = {fit.J}",
        f"SD of the area intercepts (logit scale): sensitive item "
        f"{sd_text(fit.sd['sensitive'])}, control items {sd_text(fit.sd['control'])}",
    ]
    rows = [
        [
            str(a.area),
            str(a.n),
            pct(a.estimate.estimate),
            f"{pct(a.estimate.ci_low)} to {pct(a.estimate.ci_high)}",
            DASH if a.raw is None else pct(a.raw),
            DASH if a.shrinkage is None else num(a.shrinkage, 2),
        ]
        for a in areas
    ]
    v.tables.append(
        Table(
            "Hidden share by area (model-based; raw = the area's own difference in means)",
            ["area", "n", "model-based", f"{lvl(fit.level)} CI", "raw", "pulled toward national"],
            rows,
        )
    )
    v.tables.append(_params_table(fit.tidy().iloc[: len(fit.params_)], "Fixed effects"))
    v.notes += [
        "Model-based estimates borrow strength across areas (empirical Bayes); their "
        "intervals carry the uncertainty of the area effect and of the fixed effects.",
        "'Pulled toward national' is (raw - model) / (raw - national): 0 = the area's own "
        "estimate, 1 = the national one.",
        *fit.notes,
    ]
    if not fit.converged:
        v.warnings.append("the maximisation did not converge: the estimates should not be used")
    v.plot = lambda: caterpillar_plot(fit)
    v.method = {
        "model": "binomial list model, random intercepts by area (sensitive and control)",
        "integration": f"adaptive Gauss-Hermite quadrature, {fit.nodes} x {fit.nodes} nodes",
        "variance": "inverse observed information of the marginal likelihood",
    }
    return v


def poststratified_view(ps: Any) -> View:
    """A :class:`~unspoken.multilevel.results.PoststratifiedFit`."""
    areas = _sorted_areas(ps)
    lo, hi, nat = areas[0], areas[-1], ps.national
    v = View(title=f"Poststratified hidden share by {ps.area}")
    v.headline.append(
        f"Poststratified hidden share: national {pct(nat.estimate)} ({lvl(ps.level)} CI "
        f"{pct(nat.ci_low)} to {pct(nat.ci_high)}); by {ps.area} from "
        f"{pct(lo.estimate.estimate)} ({lo.area}) to {pct(hi.estimate.estimate)} ({hi.area})."
    )
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
            f"{pct(a.estimate.ci_low)} to {pct(a.estimate.ci_high)}",
        ]
        for a in areas
    ]
    v.tables.append(
        Table(
            "Hidden share by area (model-based, weighted by the population's cells)",
            ["area", "population", "respondents", "poststratified", f"{lvl(ps.level)} CI"],
            rows,
        )
    )
    v.notes += [
        "Each area's share averages the model's predictions over the population's cells, "
        "weighted by their counts; intervals carry the uncertainty of the area effect and of "
        "the fixed effects. No raw area shares are shown.",
        *ps.notes,
    ]
    v.plot = lambda: caterpillar_plot(ps)
    v.method = {
        "model": "binomial list model, random intercepts by area",
        "poststratification": "cell predictions averaged over each area's posterior "
        "(the fit's quadrature nodes), weighted by the cell counts",
    }
    return v
