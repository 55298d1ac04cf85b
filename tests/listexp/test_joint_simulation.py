"""Coverage of the hidden trait's coefficient in list_joint (Imai, Park & Greene 2015) by
simulation: 500 data sets per outcome model drawn from the joint model, each fitted by the
production estimator (:func:`unspoken.listexp.joint.joint_mle`: EM then Newton with the exact
Hessian); the 95% Wald interval from the inverse observed information must cover the true
``gamma`` 93-97% of the time. The data are drawn for all replications at once; each fit
takes a few hundredths of a second (about 10 s linear, 20 s logistic on one core)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import expit

from unspoken.listexp.joint import joint_mle

REPS = 500
J = 3
DELTA, PSI, BETA, GAMMA = (-0.4, 0.8), (-0.3, 0.4), (1.0, 0.5), 1.0


def draw(model: str, n: int, seed: int):
    """``REPS`` data sets of ``n`` respondents as (REPS, n) arrays."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(REPS, n))
    z = rng.random((REPS, n)) < expit(DELTA[0] + DELTA[1] * x)
    t = (rng.random((REPS, n)) < 0.5).astype(float)
    y = rng.binomial(J, expit(PSI[0] + PSI[1] * x)) + t * z
    mu = BETA[0] + BETA[1] * x + GAMMA * z
    if model == "linear":
        v = mu + rng.normal(size=(REPS, n))
    else:
        v = (rng.random((REPS, n)) < expit(mu)).astype(float)
    return x, t, y, v


@pytest.mark.slow
@pytest.mark.parametrize(("model", "n"), [("linear", 1000), ("logistic", 2000)])
def test_interval_of_the_hidden_trait_coefficient_covers(model, n):
    x, t, y, v = draw(model, n, seed=2015)
    k = 2
    i = 3 * k  # sensitive (k), control (k), outcome (k), then gamma
    est = np.full(REPS, np.nan)
    se = np.full(REPS, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for r in range(REPS):
            X = np.column_stack([np.ones(n), x[r]])
            _, res, _ = joint_mle(y[r], t[r], v[r], X, J, model, True)
            if res.converged:
                est[r] = res.theta[i]
                se[r] = np.sqrt(np.linalg.inv(-res.hessian)[i, i])
    ok = np.isfinite(se)
    assert ok.mean() >= 0.99  # non-converged fits count as misses below
    cover = ok & (np.abs(est - GAMMA) <= 1.959964 * se)
    print(f"{model}: coverage {cover.mean():.3f}, converged {ok.mean():.3f}")
    assert 0.93 <= cover.mean() <= 0.97, cover.mean()
    assert abs(np.nanmedian(est) - GAMMA) < 0.1
