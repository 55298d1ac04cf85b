"""Bands that carry the uncertainty of the innovation SD: the fit integrated over sigma.

The plug-in fit conditions on the maximum-likelihood innovation SD ``sigma_hat``. In a short
series sigma is poorly determined, and the bands are too narrow. Here the fixed-sigma fits
(each exact: :func:`unspoken.polls.smoother.solve`) are averaged with weights proportional
to their restricted likelihood times the prior, over a grid in ``u = log sigma``:

    w_k  proportional to  L(sigma_k) * sigma_k * h            (flat prior on sigma)

with ``h`` the spacing of the grid (the trapezoid rule, very accurate for a smooth integrand
whose tails decay). The prior is flat on sigma (on ``[0, inf)``), not on ``log sigma``: the
restricted likelihood tends to a positive constant as ``sigma -> 0`` (a constant trend
still fits the polls), so a flat prior on ``log sigma`` would be improper and the answer
would depend on where the grid stops. The grid runs from ``sigma_hat`` in steps of
``h = 0.25`` down and up until the weight has fallen below ``exp(-25)`` of the largest.

The integrated quantities are mixtures over the nodes: the mean is the weighted mean of the
conditional means, the variance the weighted mean of the conditional variances plus the
weighted variance of the conditional means (for the trend, the house effects and their
covariance, and any contrast of the trend). The pollsters' extra SDs are held at their
maximum-likelihood values; with ``bands="corrected"`` their uncertainty given sigma is added
to first order (Kass & Steffey 1989; their covariance given sigma is the inverse of their
block of the observed information).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from unspoken.errors import DataError
from unspoken.inference.delta import delta_var_rows
from unspoken.polls.inference import Hyper
from unspoken.polls.smoother import Design, solve

STEP = 0.25  # grid spacing in log sigma
DROP = 25.0  # the grid stops where the log weight is this far below its maximum
MAX_STEPS = 80  # at most this many steps on each side of sigma_hat
AUTO_MAX_POLLS = 150  # "auto" integrates below this many polls (docs/polls.md)
PRIOR = "flat on sigma"


@dataclass
class SigmaMixture:
    """The fit averaged over the innovation SD: ``sigma`` (K,) nodes (proportion units),
    ``weights`` (K,) summing to 1, and the fixed-sigma solutions at the nodes. Presents the
    same methods as :class:`~unspoken.polls.smoother.Solution` (alpha, delta, delta_cov,
    alpha_var, contrast_var, v), each the mixture over the nodes."""

    sigma: np.ndarray
    weights: np.ndarray
    alphas: np.ndarray  # (K, T) conditional means of the trend
    alpha_vars: np.ndarray  # (K, T) conditional variances of the trend
    sols: list[Any]
    v: np.ndarray  # (n,) observation variances (the extra SDs are the same at every node)
    exact_idx: np.ndarray

    @property
    def alpha(self) -> np.ndarray:
        return self.weights @ self.alphas

    def alpha_var(self) -> np.ndarray:
        dev = self.alphas - self.alpha
        return self.weights @ self.alpha_vars + self.weights @ (dev * dev)

    def delta(self, C: np.ndarray) -> np.ndarray:
        return self.weights @ self._deltas(C)

    def _deltas(self, C: np.ndarray) -> np.ndarray:
        return np.array([C @ s.eta for s in self.sols]).reshape(len(self.sols), C.shape[0])

    def delta_cov(self, C: np.ndarray) -> np.ndarray:
        within = sum(w * s.delta_cov(C) for w, s in zip(self.weights, self.sols, strict=True))
        dev = self._deltas(C) - self.delta(C)
        return within + (dev * self.weights[:, None]).T @ dev

    def contrast_var(self, c: np.ndarray) -> float:
        cond = np.array([s.contrast_var(c) for s in self.sols])
        c0 = np.array(c, float)
        c0[self.exact_idx] = 0.0
        means = self.alphas @ c0
        m = float(self.weights @ means)
        return float(self.weights @ cond + self.weights @ (means - m) ** 2)

    @property
    def sigma_mean(self) -> float:
        """The posterior mean of sigma (proportion units)."""
        return float(self.weights @ self.sigma)


def banded_inverse_diag_many(cbs: np.ndarray) -> np.ndarray:
    """:func:`~unspoken.polls.smoother.banded_inverse_diag` for K factors at once:
    ``cbs`` (K, b+1, T) -> (K, T); the recursion over periods runs once, vectorised over
    the nodes."""
    K, b1, T = cbs.shape
    b = b1 - 1
    out = np.empty((K, T))
    block = np.zeros((K, b, b))
    for i in range(T - 1, -1, -1):
        lii = cbs[:, 0, i]
        lcol = cbs[:, 1:, i]
        row = -np.einsum("kb,kbc->kc", lcol, block) / lii[:, None]
        s_ii = 1.0 / (lii * lii) - np.einsum("kb,kb->k", lcol, row) / lii
        out[:, i] = s_ii
        new = np.empty_like(block)
        new[:, 0, 0] = s_ii
        new[:, 0, 1:] = row[:, :-1]
        new[:, 1:, 0] = row[:, :-1]
        new[:, 1:, 1:] = block[:, :-1, :-1]
        block = new
    return out


def _grid(d: Design, sigma_hat: float, tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in log sigma and their log weights (log likelihood + log sigma), grown from
    ``sigma_hat`` in steps of :data:`STEP` until the log weight drops by :data:`DROP`."""
    u0 = math.log(sigma_hat)

    def logw(u: float) -> float:
        try:
            return solve(d, math.exp(2 * u), tau2, full=False).loglik + u
        except (FloatingPointError, np.linalg.LinAlgError, DataError):
            return -math.inf  # a factorisation that fails this far out carries no weight

    us, lw = [u0], [logw(u0)]
    for sign in (1.0, -1.0):
        top = max(lw)
        for k in range(1, MAX_STEPS + 1):
            u = u0 + sign * k * STEP
            val = logw(u)
            us.append(u)
            lw.append(val)
            top = max(top, val)
            if val < top - DROP:
                break
    order = np.argsort(us)
    return np.asarray(us)[order], np.asarray(lw)[order]


def integrate_sigma(d: Design, fit: Any) -> SigmaMixture:
    """The fit integrated over sigma (flat prior on sigma, extra SDs at their ML values)."""
    tau2 = fit.tau**2
    u, lw = _grid(d, fit.sigma, tau2)
    keep = lw > lw.max() - DROP  # nodes whose weight matters at double precision
    u, lw = u[keep], lw[keep]
    w = np.exp(lw - lw.max())
    w /= w.sum()
    sigma = np.exp(u)
    sols = [solve(d, s * s, tau2, full=True) for s in sigma]
    var = banded_inverse_diag_many(np.stack([s.cb for s in sols]))  # any bandwidth
    Z = [s.Z for s in sols]
    if Z[0].shape[1]:
        S = np.stack([s.S_inv for s in sols])
        var = var + delta_var_rows(np.stack(Z), S)
    var[:, d.exact_idx] = 0.0
    return SigmaMixture(
        sigma=sigma,
        weights=w,
        alphas=np.stack([s.alpha for s in sols]),
        alpha_vars=var,
        sols=sols,
        v=sols[0].v,
        exact_idx=d.exact_idx,
    )


def tau_given_sigma(hyper: Hyper | None) -> Hyper | None:
    """The first-order term of the extra SDs given sigma: ``hyper`` without its log-sigma
    column, with the conditional covariance ``S_tt - S_ts S_ss^-1 S_st`` (``None`` when
    no extra SD is estimated in the interior)."""
    if hyper is None or hyper.cov.shape[0] < 2:
        return None
    S = hyper.cov
    cond = S[1:, 1:] - np.outer(S[1:, 0], S[0, 1:]) / S[0, 0]
    return Hyper(hyper.D_alpha[:, 1:], hyper.D_delta[:, 1:], cond)


def choose_route(
    option: str, bands: str, n_polls: int, sigma_fixed: bool, one_period: bool
) -> tuple[str, str]:
    """``(route, reason)``: "integrate" or "plugin", and why, for the option's value."""
    if sigma_fixed:
        return "plugin", "the innovation SD is fixed (sigma=), so there is nothing to integrate"
    if one_period:
        return "plugin", "all polls fall in one period: the innovation SD plays no part"
    if option == "integrate":
        return "integrate", "sigma_uncertainty='integrate'"
    if option == "plugin":
        return "plugin", "sigma_uncertainty='plugin'"
    if bands == "plugin":
        return "plugin", "bands='plugin' treats the variances as known"
    if n_polls < AUTO_MAX_POLLS:
        return "integrate", f"short series: {n_polls} polls, fewer than {AUTO_MAX_POLLS}"
    return "plugin", f"long series: {n_polls} polls, {AUTO_MAX_POLLS} or more"


def mixture_hyper(hyper: Hyper | None, bands: str) -> Hyper | None:
    """The first-order term kept on the integrated route: the extra SDs' given sigma."""
    return tau_given_sigma(hyper) if bands == "corrected" else None


__all__ = [
    "AUTO_MAX_POLLS",
    "PRIOR",
    "SigmaMixture",
    "banded_inverse_diag_many",
    "choose_route",
    "integrate_sigma",
    "mixture_hyper",
    "tau_given_sigma",
]
