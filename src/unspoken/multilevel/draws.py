"""Joint draws of the area shares of a multilevel fit (:meth:`~unspoken.multilevel.results.
MultilevelListFit.area_draws`): what the area-indicator correlation and any other function
of several areas' shares is computed from.

``laplace``: the reported intervals are Wald intervals on the logit scale with variance
"posterior variance of the area's logit share given theta + delta-method variance from
theta". The same pieces give the joint covariance of all areas' logit shares (hidden and
direct stacked): ``G V G' + blockdiag(posterior covariances)``, ``G`` the Jacobian of the
logit shares in theta, ``V`` the covariance of theta; areas are correlated through theta
only. Draws are multivariate normal on that scale, mapped by ``expit``. ``bayes``: the
posterior draws themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from unspoken.errors import UnsupportedError

QUANTITIES = ("hidden", "direct", "gap")


def area_draws(fit: Any, n: int, seed: int, quantity: str) -> np.ndarray:
    """``(n, areas)`` draws of ``quantity`` of ``fit`` (see the module docstring)."""
    if quantity not in QUANTITIES:
        raise UnsupportedError(
            f"quantity must be one of {list(QUANTITIES)}, not {quantity!r}", param="quantity"
        )
    if quantity != "hidden" and fit.direct is None:
        raise UnsupportedError(
            f"quantity={quantity!r} needs a fit with a direct question (direct=COLUMN)",
            param="quantity",
        )
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise UnsupportedError(f"n must be a positive whole number, not {n!r}", param="n")
    rng = np.random.default_rng(seed)
    st = fit.state
    if "draws" in st:  # bayes: the posterior draws, resampled when more are asked for
        post = {q: st["draws"][q] for q in ("hidden", "direct") if q in st["draws"]}
        S = next(iter(post.values())).shape[0]
        rows = rng.permutation(S)[:n] if n <= S else rng.integers(0, S, n)
        parts = {q: v[rows] for q, v in post.items()}
    else:
        mean, cov = st["logit_mean"], st["logit_cov"]
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        root = vecs * np.sqrt(np.maximum(vals, 0))
        z = expit(mean + rng.standard_normal((n, mean.size)) @ root.T)
        A = len(fit.areas)
        parts = {"hidden": z[:, :A]}
        if mean.size > A:
            parts["direct"] = z[:, A : 2 * A]
    if quantity == "gap":
        return parts["hidden"] - parts["direct"]
    return parts[quantity]
