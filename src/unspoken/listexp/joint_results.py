"""The result of :func:`unspoken.list_joint` (the hidden trait as a predictor):
:class:`JointFit`, and :func:`outcome_by_trait`, the mean predicted outcome without and with
the hidden trait and their difference with delta-method intervals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit

from unspoken.inference.delta import delta_estimate
from unspoken.results import Estimate, FitResult, tidy_frame

if TYPE_CHECKING:
    from unspoken.report.view import View

__all__ = ["BY_TRAIT", "JointFit", "outcome_by_trait"]

#: the keys of :attr:`JointFit.outcome_by_trait`, in order, and their labels
BY_TRAIT: dict[str, str] = {
    "without": "without the hidden trait (Z = 0)",
    "with": "with the hidden trait (Z = 1)",
    "difference": "difference (with - without)",
}


def outcome_by_trait(
    model: str,
    X: np.ndarray,
    weights: np.ndarray,
    theta: np.ndarray,
    cov: np.ndarray,
    k: int,
    level: float,
) -> dict[str, Estimate]:
    """The (weighted) mean over respondents of the predicted outcome with ``Z = 0``, with
    ``Z = 1``, and the difference (R ``predict.ictreg.joint(avg = TRUE, sensitive.value =
    "both", sensitive.diff = TRUE)``; probabilities for the logistic model), with
    delta-method standard errors from ``cov`` and Wald intervals. ``theta`` is the full
    parameter vector; the outcome block is the ``k + 1`` entries before ``log sigma``
    (linear) or the last ``k + 1`` (logistic)."""
    end = theta.size - (1 if model == "linear" else 0)
    lo = end - k - 1
    beta, gamma = theta[lo : end - 1], theta[end - 1]
    e0 = X @ beta
    n = X.shape[0]
    out: dict[str, Estimate] = {}
    grads = []
    values = []
    for z in (0.0, 1.0):
        g = np.zeros(theta.size)
        if model == "linear":
            values.append(float(np.average(e0 + z * gamma, weights=weights)))
            g[lo : end - 1] = np.average(X, axis=0, weights=weights)
            g[end - 1] = z
        else:
            q = expit(e0 + z * gamma)
            d = q * (1 - q)
            values.append(float(np.average(q, weights=weights)))
            g[lo : end - 1] = np.average(X * d[:, None], axis=0, weights=weights)
            g[end - 1] = z * float(np.average(d, weights=weights))
        grads.append(g)
    grads.append(grads[1] - grads[0])
    values.append(values[1] - values[0])
    for key, value, g in zip(BY_TRAIT, values, grads, strict=True):
        out[key] = delta_estimate(value, g, cov, level, n, BY_TRAIT[key])
    return out


@dataclass
class JointFit(FitResult):
    """A fitted joint model of a list experiment and an outcome (Imai, Park & Greene 2015).

    Beyond :class:`~unspoken.results.FitResult`: ``outcome_model`` (``"linear"`` or
    ``"logistic"``), ``constrained``, ``J``; ``sigma`` (the linear outcome's residual SD,
    estimated on the log scale, with a delta-method s.e.; ``None`` for the logistic model);
    ``outcome_by_trait`` (keys ``without``, ``with``, ``difference``: the mean predicted
    outcome with ``Z = 0``, ``Z = 1`` and the difference); ``prevalence`` the mean
    predicted probability of the trait. :meth:`predict` recomputes these on new data,
    :meth:`posterior` gives each respondent's ``P(Z_i = 1 | Y_i, T_i, V_i, x_i)``.
    """

    outcome_model: str = "linear"
    method: str = "ml"
    constrained: bool = True
    J: int = 0
    sigma: Estimate | None = None
    outcome_by_trait: dict[str, Estimate] = field(default_factory=dict)
    theta_: np.ndarray | None = field(default=None, repr=False)
    full_cov_: np.ndarray | None = field(default=None, repr=False)
    X_: np.ndarray | None = field(default=None, repr=False)
    weights_: np.ndarray | None = field(default=None, repr=False)
    posterior_: np.ndarray | None = field(default=None, repr=False)
    row_index_: Any = field(default=None, repr=False)
    design_: Any = field(default=None, repr=False)

    @property
    def k_sensitive(self) -> int:
        return int(np.sum(np.asarray(self.parts) == "sensitive"))

    def predict(self, newdata: Any = None, level: float | None = None) -> pd.DataFrame:
        """The mean predicted outcome without (``Z = 0``) and with (``Z = 1``) the hidden
        trait, their difference, and the predicted prevalence of the trait, averaged over
        the fitted respondents (weighted) or over ``newdata`` (unweighted; a frame with the
        formula's covariates). Rows ``without``, ``with``, ``difference``, ``prevalence``;
        columns ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` (delta method, Wald)."""
        from unspoken.results import check_level

        lev = self.level if level is None else check_level(level)
        if newdata is None:
            X = self.X_
            w = np.ones(X.shape[0]) if self.weights_ is None else self.weights_
        else:
            X = self._design_of(newdata)
            w = np.ones(X.shape[0])
        k = self.k_sensitive
        theta, cov = self.theta_, self.full_cov_
        est = outcome_by_trait(self.outcome_model, X, w, theta, cov, k, lev)
        g = expit(X @ theta[:k])
        grad = np.zeros(theta.size)
        grad[:k] = np.average(X * (g * (1 - g))[:, None], axis=0, weights=w)
        est["prevalence"] = delta_estimate(
            float(np.average(g, weights=w)), grad, cov, lev, X.shape[0], "prevalence"
        )
        return pd.DataFrame(
            [
                {"estimate": e.estimate, "std_error": e.std_error, "ci_low": e.ci_low,
                 "ci_high": e.ci_high}
                for e in est.values()
            ],
            index=pd.Index(list(est), name="quantity"),
        )  # fmt: skip

    def _design_of(self, newdata: Any) -> np.ndarray:
        from unspoken.listexp.predict import _design_for

        return _design_for(self, newdata)

    def posterior(self) -> pd.Series:
        """Each respondent's posterior probability of the hidden trait given the list
        answer and the outcome, ``P(Z_i = 1 | Y_i, T_i, V_i, x_i)``, at the estimate."""
        return pd.Series(self.posterior_, index=self.row_index_, name="posterior")

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row per coefficient, then (linear outcome) the residual SD as part
        ``outcome``, term ``sigma``, and the mean predicted outcome by hidden status as
        part ``outcome_by_trait`` (terms ``without``, ``with``, ``difference``)."""
        rows: list[dict[str, Any]] = [
            {"part": p, "term": t, "estimate": Estimate.from_se(e, s, self.level)}
            for p, t, e, s in zip(
                self.parts, self.terms, self.params_, self.std_errors.to_numpy(), strict=True
            )
        ]
        if self.sigma is not None:
            rows.append({"part": "outcome", "term": "sigma", "estimate": self.sigma})
        rows += [
            {"part": "outcome_by_trait", "term": key, "estimate": e}
            for key, e in self.outcome_by_trait.items()
        ]
        return tidy_frame(rows, level, self.level)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["sigma"] = None if self.sigma is None else self.sigma.to_dict()
        d["outcome_by_trait"] = {k: e.to_dict() for k, e in self.outcome_by_trait.items()}
        return d

    def view(self) -> View:
        from unspoken.report.views.joint import joint_view

        return joint_view(self)
