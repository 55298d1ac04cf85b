"""The view of a joint list/outcome fit (:func:`unspoken.list_joint`): the list fit's view
with the hidden trait's coefficient in the headline and the mean predicted outcome by
hidden status."""

from __future__ import annotations

from typing import Any

from unspoken.report.views.base import View, _est_row, _est_table, _interval, num, pct, pts
from unspoken.report.views.listexp import fit_view


def joint_view(fit: Any) -> View:
    """A :class:`~unspoken.listexp.joint_results.JointFit`."""
    v = fit_view(fit)
    logistic = fit.outcome_model == "logistic"
    fmt = pct if logistic else num
    outcome = fit.extra.get("outcome", "the outcome")
    diff = fit.outcome_by_trait.get("difference")
    dfmt = pts if logistic else num  # a difference of probabilities is in points
    if diff is not None:
        what = "probability of" if logistic else "mean"
        v.headline.insert(
            0,
            f"Holding the hidden trait changes the predicted {what} '{outcome}' by "
            f"{dfmt(diff.estimate)} ({_interval(diff, dfmt)}).",
        )
    rows = [
        _est_row(e.label or key, e, dfmt if key == "difference" else fmt)
        for key, e in fit.outcome_by_trait.items()
    ]
    title = f"Predicted {'probability of' if logistic else 'mean'} '{outcome}' by hidden status"
    v.tables.insert(1, _est_table(title, "respondents", rows, fit.level))
    if fit.sigma is not None:
        v.facts.append(
            f"Residual SD of the outcome model: {num(fit.sigma.estimate)} "
            f"(s.e. {num(fit.sigma.std_error)})"
        )
    v.method["outcome model"] = fit.outcome_model
    v.method["list model"] = "constrained" if fit.constrained else "unconstrained"
    return v
