"""Views of list-experiment power: analytic (ListPower) and simulated (SimulatedPower)."""

from __future__ import annotations

import math
from typing import Any

from unspoken.report.views.base import (
    View,
    _bad,
)


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
