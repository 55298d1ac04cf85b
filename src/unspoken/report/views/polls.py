"""Views of pooled polls and of the hard-to-say comparison."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from unspoken.report.views.base import DASH, Table, View, _bad, lvl, num


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
        + (
            f" (ML; mean {s(res.sigma_uncertainty['sigma_mean'], 3)} over the bands' integration)"
            if res.sigma_route == "integrate"
            else ""
        )
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
        v.tables.append(_comparison_table(h, "(points; both sum-to-zero)", lambda x: s(x, 2)))
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
        "innovation SD in the bands": _sigma_route(res),
    }
    return v


def _sigma_route(res: Any) -> str:
    """How the uncertainty of the innovation SD enters the bands, and why."""
    u = res.sigma_uncertainty
    if u["route"] == "integrate":
        return f"integrated over {u['nodes']} values, prior {u['prior']} ({u['reason']})"
    return f"maximum-likelihood value plugged in ({u['reason']})"


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


def hard_to_say_view(res: Any) -> View:
    """House effects among all respondents vs. among those with an opinion."""
    v = View(title="'Hard to say' and the house effects")
    f = 1.0 if res.units == "percent" else 100.0
    v.headline.append(_explained(res.explained))
    what = "(points; both sum-to-zero; decided effects converted to all-respondent units)"
    v.tables.append(_comparison_table(res, what, lambda x: num(f * float(x), 2)))
    return v


def _comparison_table(h: Any, what: str, cell: Callable[[Any], str]) -> Table:
    """The per-pollster table of a hard-to-say comparison, numbers written by ``cell``."""
    return Table(
        f"House effects among all respondents vs. among those with an opinion {what}",
        [c.replace("_", " ") for c in h.table.columns],
        [[str(x) if isinstance(x, str) else cell(x) for x in row]
         for row in h.table.itertuples(index=False)],
    )  # fmt: skip
