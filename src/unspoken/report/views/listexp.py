"""Views of list-experiment fits (FitResult, also rr regressions) and of the combined estimator."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from unspoken.report.views.base import (
    Table,
    View,
    _by_table,
    _est_row,
    _est_table,
    _estimates,
    _group,
    _group_rows,
    _hidden_notes,
    _interval,
    _labelled,
    _params_table,
    forest_plot,
    lvl,
    num,
    pct,
    pval,
)


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
    ov = extra.get("overid")
    if ov:
        agree = (
            "the list answers contradict the known shares (or the model): read the estimates "
            "with caution"
            if ov["p_value"] < 0.05
            else "the list answers are consistent with the known shares"
        )
        v.facts.append(
            f"Known shares against the list answers (Sargan-Hansen test): J = "
            f"{ov['statistic']:.3f} on {ov['df']} df, p = {pval(ov['p_value'])}: {agree}."
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
