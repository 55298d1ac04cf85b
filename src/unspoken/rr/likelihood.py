"""The randomized-response design likelihood (see :mod:`unspoken.rr.regression`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit, log_expit

from unspoken.inference.covariance import SurveyDesign, sandwich_influence, vcov_from_influence
from unspoken.inference.likelihood import Convergence, newton_em
from unspoken.rr.designs import RRDesign

# --------------------------------------------------------------------------- likelihood


def _log_answer_probs(design: RRDesign, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log f_i(1), log f_i(0))`` with ``f_i(z) = P(Y = y_i | Z = z)`` (``-inf`` when the
    design rules the answer out, e.g. triangular ``y = 1`` with ``z = 1``)."""
    with np.errstate(divide="ignore"):
        l1 = np.log([1.0 - design.pi1, design.pi1])  # log P(Y=0|Z=1), log P(Y=1|Z=1)
        l0 = np.log([1.0 - design.pi0, design.pi0])
    yi = y.astype(np.int64)
    return l1[yi], l0[yi]


class _Likelihood:
    """The design likelihood for answers ``y`` and covariates ``X`` (weights ``w``)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, design: RRDesign) -> None:
        self.X, self.y, self.w = X, y, w
        self.lf1, self.lf0 = _log_answer_probs(design, y)

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, ``lambda_i`` and posteriors ``r_i`` at ``beta``."""
        eta = self.X @ beta
        a1 = self.lf1 + log_expit(eta)
        a0 = self.lf0 + log_expit(-eta)
        lmu = np.logaddexp(a1, a0)
        ll = float(np.sum(self.w * lmu))
        return ll, expit(eta), np.exp(a1 - lmu)

    def scores(self, lam: np.ndarray, post: np.ndarray) -> np.ndarray:
        return (self.w * (post - lam))[:, None] * self.X

    def information(self, lam: np.ndarray, post: np.ndarray) -> np.ndarray:
        c = self.w * (lam * (1 - lam) - post * (1 - post))
        return self.X.T @ (self.X * c[:, None])

    def maximise(
        self, beta0: np.ndarray, maxit: int = 500
    ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, Convergence, tuple[int, int]]:
        """``(beta, loglik, lambda, posterior, report, (EM-gradient steps, Newton steps))``
        by :func:`~unspoken.inference.likelihood.newton_em`."""

        def derivs(state: tuple[np.ndarray, np.ndarray]):
            lam, post = state
            g = self.X.T @ (self.w * (post - lam))
            Hc = self.X.T @ (self.X * (self.w * lam * (1 - lam))[:, None])
            return g, self.information(lam, post), Hc

        def evaluate(beta: np.ndarray):
            ll, lam, post = self.evaluate(beta)
            return ll, (lam, post)

        beta, ll, (lam, post), report, steps = newton_em(evaluate, derivs, beta0, maxit)
        return beta, ll, lam, post, report, steps


def _logit(p: float) -> float:
    p = min(max(p, 0.02), 0.98)
    return float(np.log(p / (1 - p)))


def sandwich_parts(
    H: np.ndarray,
    scores: np.ndarray,
    kind: str,
    survey: SurveyDesign,
    notes: list[str],
    other: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(V, influence values I^{-1} s_i, ok)`` from the observed information ``H`` and the
    per-respondent ``scores``: ``V`` is ``I^{-1}`` for ``"model"``, ``other(I^{-1})`` when
    given (the OPG, the bootstrap), else from the influence values through the survey design
    (:func:`~unspoken.inference.covariance.vcov_from_influence`); symmetrised. A singular
    (or not positive definite) ``H`` gives its pseudo-inverse, a note and ``ok = False``."""
    ok = True
    try:
        Hinv = np.linalg.inv(H)
        if not np.all(np.isfinite(Hinv)) or np.any(np.diag(Hinv) <= 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        Hinv = np.linalg.pinv(H)
        notes.append("the information matrix is singular: standard errors are unreliable")
        ok = False
    infl = sandwich_influence(scores, Hinv)
    if kind == "model":
        V = Hinv
    elif other is not None:
        V = other(Hinv)
    else:
        V = vcov_from_influence(infl, kind, survey, n_params=H.shape[0])  # type: ignore[arg-type]
    return (V + V.T) / 2, infl, ok


def fit_fields(
    design: RRDesign,
    model: str,
    params: np.ndarray,
    V: np.ndarray,
    loglik: float,
    converged: bool,
    report: Convergence,
    kind: str,
    notes: list[str],
    level: float,
    kept: np.ndarray,
) -> dict[str, Any]:
    """The fields every randomized-response fit result shares (see
    :class:`~unspoken.results.FitResult`)."""
    return dict(
        model=model, params_=params, cov=V, n=len(kept), loglik=loglik, converged=converged,
        iterations=report.iterations, gradient_norm=report.gradient_norm, vcov_type=kind,
        notes=notes, level=level, design=design, row_positions=kept,
    )  # fmt: skip
