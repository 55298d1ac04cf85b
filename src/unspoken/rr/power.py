"""Power and sample size for a randomized response design (R ``rr::power.rr.test``).

The closed-form estimator ``pi_hat = (ybar - a) / b`` has standard error
``s(pi) / sqrt(n)`` with ``s(pi)^2 = lambda (1 - lambda) / b^2``, ``lambda = a + b pi``
(the inverse Fisher information of the design, Blair, Imai & Zhou 2015, section 5). The
test rejects ``pi = pi_null`` when ``pi_hat`` passes the threshold computed with the null
standard error; the power is the probability of that under ``pi = presp``::

    one-sided:  1 - Phi((pi_null + z_{1-alpha} s(pi_null)/sqrt(n) - presp) / (s(presp)/sqrt(n)))
    two-sided:  the same with z_{1-alpha/2} for the upper threshold, plus the lower tail.

For two samples of ``n`` respondents each, the difference ``presp_t - presp_c`` is tested
against ``presp_t_null - presp_c_null`` with ``s^2 = s(pi_t)^2 + s(pi_c)^2``.

Designs with an unknown probability (``forced-unknown``, ``unrelated-unknown``): a share
``r`` of the ``n`` respondents answers with ``P(Y=1) = p pi + (1-p) q``, the rest with
``(1-p) pi + p q``, and ``q`` is unknown. With ``V = lambda (1 - lambda)`` in each subsample,
the default ``se_rule="joint"`` uses the variance of the estimate of ``pi`` when ``q`` is
estimated too (the inverse of the two-parameter information, which for this exactly
identified design is the delta-method variance of the moment estimator)::

    s(pi)^2 = (p^2 V_A / r + (1-p)^2 V_B / (1-r)) / (2p - 1)^2

R ``power.rr.test`` inverts only the ``pi`` element of the information, i.e. it treats ``q``
as known: ``s(pi)^2 = 1 / (r p^2 / V_A + (1-r) (1-p)^2 / V_B)`` (smaller, so its power is
higher); ``se_rule="r"`` reproduces it, including its ``q = 1`` for ``forced-unknown``
unless ``q`` is given. R searches ``n`` from 2 for these designs; so do we.

Solving for ``n``: by default the smallest ``n`` whose power reaches the target
(``n_rule="min"``). R ``power.rr.test`` instead returns the first ``n`` in 1..100000 whose
power is within 0.01 of the target, which can fall short of it; ``n_rule="r"`` reproduces
that.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy.special import ndtr, ndtri

from unspoken.errors import UnsupportedError
from unspoken.keywords import old_names, spread_options
from unspoken.power.checks import _check_alternative
from unspoken.power.results import RRPower
from unspoken.rr.designs import RRDesign, UnknownDesign
from unspoken.rr.options import DesignSpec

PowerType = Literal["one.sample", "two.sample"]
Alternative = Literal["one.sided", "two.sided"]
NRule = Literal["min", "r"]
SERule = Literal["joint", "r"]

__all__ = ["RRPower", "rr_power"]


def _number(name: str, v: Any) -> float:
    """``v`` as a float, or :class:`UnsupportedError` naming the argument."""
    try:
        if isinstance(v, bool):
            raise TypeError
        return float(v)
    except (TypeError, ValueError):
        raise UnsupportedError(f"{name} must be a number, not {v!r}") from None


def _check_prob(name: str, v: float | None) -> float:
    if v is None:
        raise UnsupportedError(f"rr_power needs {name}")
    v = _number(name, v)
    if not 0 <= v <= 1:
        raise UnsupportedError(f"{name} = {v:g} must be a probability in [0, 1]")
    return v


def _sd(design: RRDesign | UnknownDesign, pi: float, r: float, se_rule: str) -> float:
    """The SD of ``pi_hat`` times ``sqrt(n)``: ``sqrt(lambda (1 - lambda)) / |b|`` for a
    known design; for an unknown-``q`` design see the module docstring."""
    if isinstance(design, RRDesign):
        lam = design.prob_yes(pi)
        return float(np.sqrt(max(lam * (1 - lam), 0.0)) / abs(design.b))
    p = float(design.p)  # type: ignore[attr-defined]
    q = design.q_r if se_rule == "r" else design.q_planned
    la, lb = design.answer_rates(pi, q)
    va, vb = la * (1 - la), lb * (1 - lb)
    with np.errstate(divide="ignore"):
        if se_rule == "r":
            info = r * p**2 / va + (1 - r) * (1 - p) ** 2 / vb
            return float(np.sqrt(1 / info)) if info > 0 else np.inf
        return float(np.sqrt((p**2 * va / r + (1 - p) ** 2 * vb / (1 - r)) / (2 * p - 1) ** 2))


def _power(
    n: np.ndarray,
    effect: float,
    null: float,
    s_alt: float,
    s_null: float,
    alpha: float,
    alternative: str,
) -> np.ndarray:
    rn = np.sqrt(np.asarray(n, dtype=float))
    se, se0 = s_alt / rn, s_null / rn
    with np.errstate(divide="ignore", invalid="ignore"):
        if alternative == "one.sided":
            thr = null + ndtri(1 - alpha) * se0
            return ndtr((effect - thr) / se)
        z = ndtri(1 - alpha / 2)
        low, high = null - z * se0, null + z * se0
        return ndtr((low - effect) / se) + ndtr((effect - high) / se)


@old_names(sig_level="alpha")
@spread_options(spec=DesignSpec)
def rr_power(
    design: str | RRDesign | UnknownDesign = "forced-known",
    *,
    spec: DesignSpec,
    n: float | None = None,
    power: float | None = None,
    presp: float | None = None,
    presp_null: float | None = None,
    presp_t: float | None = None,
    presp_c: float | None = None,
    presp_t_null: float | None = None,
    presp_c_null: float | None = None,
    alpha: float = 0.05,
    type: PowerType = "one.sample",
    alternative: Alternative = "one.sided",
    n_rule: NRule = "min",
    max_n: int = 1_000_000,
    r: float | None = None,
    se_rule: SERule = "joint",
) -> RRPower:
    """Power to detect a prevalence (difference), or the sample size for a target power.

    Arguments as in R ``power.rr.test`` (its ``sig.level`` is ``alpha``, as in
    :func:`~unspoken.power.list_power`; the old name ``sig_level=`` still works for one
    release, with a warning): give exactly one of ``n`` and ``power``. One
    sample: ``presp`` against ``presp_null`` (default 0). Two samples of ``n`` each:
    ``presp_t - presp_c`` against ``presp_t_null - presp_c_null`` (``presp_c_null``
    defaults to ``presp_c`` and ``presp_t_null`` to ``presp_c_null``: no difference).

    ``forced-unknown`` / ``unrelated-unknown``: ``r`` (default 1/2) is the share of the first
    subsample; ``se_rule="joint"`` (default) accounts for estimating ``q``, ``"r"`` is R's
    variance, which treats ``q`` as known (see the module docstring).
    """
    d = spec.made
    if type not in ("one.sample", "two.sample"):
        raise UnsupportedError(f"type must be 'one.sample' or 'two.sample', not {type!r}")
    _check_alternative(alternative)
    if n_rule not in ("min", "r"):
        raise UnsupportedError(f"n_rule must be 'min' or 'r', not {n_rule!r}")
    if se_rule not in ("joint", "r"):
        raise UnsupportedError(f"se_rule must be 'joint' or 'r', not {se_rule!r}")
    unknown = isinstance(d, UnknownDesign)
    if not unknown and r is not None:
        raise UnsupportedError(
            f"r is the share of the first subsample of the forced-unknown and "
            f"unrelated-unknown designs; the {d.name} design does not use it",
            param="r",
        )
    share = 0.5 if r is None else _number("r", r)
    if not 0 < share < 1:
        raise UnsupportedError(f"r = {r!r} must lie in (0, 1): both subsamples are needed")
    if (n is None) == (power is None):
        raise UnsupportedError("give exactly one of n and power (the other is solved for)")
    alpha = _number("alpha", alpha)
    if not 0 < alpha < 1:
        raise UnsupportedError(f"alpha = {alpha!r} must lie in (0, 1)")
    if type == "one.sample":
        if any(v is not None for v in (presp_t, presp_c, presp_t_null, presp_c_null)):
            raise UnsupportedError("presp_t/presp_c are for type='two.sample'")
        pa = _check_prob("presp", presp)
        p_null = _check_prob("presp_null", 0.0 if presp_null is None else presp_null)
        effect, null = pa, p_null
        s_alt, s_null = _sd(d, pa, share, se_rule), _sd(d, p_null, share, se_rule)
    else:
        if presp is not None or presp_null is not None:
            raise UnsupportedError(
                "type='two.sample' takes presp_t, presp_c (and presp_t_null, presp_c_null)"
            )
        t = _check_prob("presp_t", presp_t)
        c = _check_prob("presp_c", presp_c)
        c0 = _check_prob("presp_c_null", c if presp_c_null is None else presp_c_null)
        t0 = _check_prob("presp_t_null", c0 if presp_t_null is None else presp_t_null)
        effect, null = t - c, t0 - c0
        s_alt = float(np.hypot(_sd(d, t, share, se_rule), _sd(d, c, share, se_rule)))
        s_null = float(np.hypot(_sd(d, t0, share, se_rule), _sd(d, c0, share, se_rule)))
    if np.isclose(effect, null, rtol=0.0, atol=1e-12):
        what = (
            f"presp = {effect:g} equals presp_null"
            if type == "one.sample"
            else f"the difference presp_t - presp_c = {effect:g} equals its null value"
        )
        raise UnsupportedError(
            f"{what}: there is no difference to detect (the power is the significance level "
            "at every n); give a prevalence that differs from the null"
        )
    if s_alt == 0:
        raise UnsupportedError(
            "the answers have no variance under the alternative (every answer is certain), so "
            "the normal approximation of the test does not apply"
        )

    extra: dict[str, Any] = {}
    if unknown:
        q_used = d.q_r if se_rule == "r" else d.q_planned  # type: ignore[union-attr]
        extra = {"r": share, "se_rule": se_rule, "q": q_used}

    def at(nn: Any) -> np.ndarray:
        return _power(nn, effect, null, s_alt, s_null, alpha, alternative)

    if power is None:
        nn = _number("n", n)
        if not (nn > 0 and np.isfinite(nn)):
            raise UnsupportedError(f"n = {n!r} must be positive")
        pw = float(at(nn))
        return RRPower(
            d,
            n,
            pw,
            pw,
            effect,
            null,
            alpha,
            type,
            alternative,
            "power",
            n_rule,
            **extra,  # type: ignore[arg-type]
        )

    target = _number("power", power)
    if not 0 < target < 1:
        raise UnsupportedError(f"power = {power!r} must lie in (0, 1)")
    limit = 100_000 if n_rule == "r" else int(max_n)
    grid = np.arange(2 if unknown else 1, limit + 1)
    pw = at(grid)
    hit = np.abs(pw - target) < 0.01 if n_rule == "r" else pw >= target
    if not hit.any():
        raise UnsupportedError(
            f"power {target:g} is not reached with n up to {limit:,} (power there: "
            f"{pw[-1]:.4f}); a larger effect, another design or a one-sided test may help"
        )
    k = int(np.argmax(hit))
    return RRPower(
        d,
        int(grid[k]),
        target,
        float(pw[k]),
        effect,
        null,
        alpha,
        type,
        alternative,
        "n",
        n_rule,
        **extra,
    )
