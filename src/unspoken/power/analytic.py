"""Analytic power and sample size for list experiments and for the falsification gap.

**List experiment** (difference in means, DiM). With ``J`` control items whose mean share is
``p`` and whose average pairwise correlation is ``rho``, the control count ``Y*`` has

    V0 = Var(Y | T=0) = J p (1 - p) (1 + (J - 1) rho)

(the variance of a sum: ``J`` item variances plus ``J (J - 1)`` covariances). The treated list
adds the sensitive item ``Z ~ Bernoulli(pi)``:

    V1 = Var(Y | T=1) = V0 + pi (1 - pi) + 2 Cov(Y*, Z),   Cov(Y*, Z) = r sqrt(V0 pi (1 - pi))

and with ``n1 = s n`` respondents on the treated list and ``n0 = (1 - s) n`` on the control
list, ``Var(DiM) = V1 / n1 + V0 / n0``. The share ``s`` minimising it for a fixed ``n`` is
the Neyman allocation ``s* = sqrt(V1) / (sqrt(V1) + sqrt(V0))``. ``V0`` may instead be given
directly (``control_var``, e.g. from a pilot) or read from a data set's control group.

The test is the Wald test of ``pi = pi0`` with the standard error at the alternative::

    two-sided:  Phi(|d| / se - z_{1-alpha/2}) + Phi(-|d| / se - z_{1-alpha/2})
    one-sided:  Phi(|d| / se - z_{1-alpha})       (in the direction of d = pi - pi0)

Design advice behind these formulas (Glynn 2013, "What can we learn with statistical truth
serum?", Public Opinion Quarterly 77(S1); Blair, Coppock & Moor 2020, "When to worry about
sensitivity bias", APSR 114(4)): the list experiment pays for privacy with variance, which
comes almost entirely from the control count, so choose control items that are negatively
correlated (``rho < 0``) and whose shares are far from 0 and 1 only as far as needed to avoid
floor and ceiling effects (a respondent who would say "yes" to none or all items loses the
privacy the design promises).

**Falsification gap** (list share - direct share, the direct question asked of everyone).
Write ``Dbar`` for the direct share over all ``n``. Because the treated and the control
respondents are disjoint, ``Cov(Ybar1 - Ybar0, Dbar) = [Cov(Y* + Z, D) - Cov(Y*, D)] / n
= Cov(Z, D) / n``: only the link between the hidden attitude and the direct answer matters,
and

    Var(gap) = Var(DiM) + [d (1 - d) - 2 Cov(Z, D)] / n.

``Cov(Z, D) = P(Z = 1, D = 1) - pi d`` lies within the Frechet bounds ``max(0, pi + d - 1)
<= P(Z=1, D=1) <= min(pi, d)``. ``direct_link="falsification"`` takes the upper bound (those
who hold the view say so; the gap comes from others giving the safe answer: the model of
:func:`unspoken.simulate.gap.simulate_gap`), ``"independent"`` zero covariance, and
``"conservative"`` the lower bound (the largest variance any joint distribution allows).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from scipy.special import ndtr, ndtri

from unspoken.errors import DataError, UnsupportedError
from unspoken.power.checks import _check_alternative, _check_J, _open_unit
from unspoken.power.results import Alternative, DirectLink, ListPower

_MAX_N = 100_000_000


def control_variance(J: int, control_mean: float | None = None, rho: float = 0.0) -> float:
    """``Var(Y*) = J p (1 - p) (1 + (J - 1) rho)`` with ``p = control_mean / J`` (default J/2)."""
    J = _check_J(J)
    m = J / 2 if control_mean is None else float(control_mean)
    if not 0 < m < J:
        raise UnsupportedError(
            f"control_mean = {m:g} must lie strictly between 0 and J = {J} (a list whose count "
            "is always 0 or always J has floor or ceiling effects and no privacy)"
        )
    p = m / J
    r = float(rho)
    low = -1.0 / (J - 1) if J > 1 else -math.inf
    if not (low <= r <= 1) or (J == 1 and r != 0):
        raise UnsupportedError(
            f"rho = {r:g} is not a possible average correlation of {J} items "
            f"(it must lie in [{max(low, -1):.4g}, 1])"
        )
    return J * p * (1 - p) * (1 + (J - 1) * r)


def _control_from_data(
    data: Any, outcome: str, treat: str, J: int | None = None
) -> tuple[float, float, int]:
    """Mean and variance (ddof=1) of the control group's counts in a data set.

    Counts must be whole numbers in ``[0, J]`` (control) or ``[0, J + 1]`` (treated); the
    :class:`DataError` otherwise names the column and rows (0-based positions).
    """
    from unspoken.io import _raise_rows, numeric_column, require_columns, to_pandas

    df = to_pandas(data, copy=False) if not isinstance(data, str) else _load(data)
    require_columns(df, [outcome, treat])
    t = df[treat]
    y_num = numeric_column(df, outcome, role="list count", allow_missing=True)
    ok = t.notna().to_numpy() & ~np.isnan(y_num)
    if not (~np.isnan(y_num)).any():
        raise DataError(f"column '{outcome}' (list count) has no counts", column=outcome)
    bad = np.flatnonzero(ok & ~t.isin([0, 1]).to_numpy())
    if bad.size:
        vals = sorted({str(v) for v in t[ok].unique()})[:5]
        raise DataError(
            f"the treatment column must be coded 0 (control list) / 1 (treated list); "
            f"found {', '.join(vals)}",
            column=treat,
            rows=bad,
        )
    control = ok & (t == 0).to_numpy()
    high = np.where(control, J if J is not None else np.inf, np.inf if J is None else J + 1)
    wrong = ok & ((y_num != np.round(y_num)) | (y_num < 0) | (y_num > high))
    if wrong.any():
        top = "" if J is None else f" (at most J = {J} in the control group, J + 1 treated)"
        _raise_rows(
            df,
            outcome,
            np.flatnonzero(wrong),
            f"column '{outcome}' (list count) must hold whole numbers from 0{top}",
        )
    ctrl = y_num[control]
    if ctrl.size < 2:
        raise DataError(
            "fewer than 2 control-group respondents to estimate a variance", column=treat
        )
    return float(ctrl.mean()), float(ctrl.var(ddof=1)), int(ctrl.size)


def _load(name: str) -> Any:
    from unspoken import datasets
    from unspoken.io import read_data

    return datasets.load(name) if name in datasets.names() else read_data(name)


# ---------------------------------------------------------------- the power function
def _power_at(se: np.ndarray | float, effect: float, alpha: float, alternative: str) -> Any:
    d = abs(effect)
    with np.errstate(divide="ignore"):
        if alternative == "one.sided":
            return ndtr(d / se - ndtri(1 - alpha))
        z = ndtri(1 - alpha / 2)
        return ndtr(d / se - z) + ndtr(-d / se - z)


def _solve_n(unit_var: float, effect: float, alpha: float, alternative: str, target: float) -> int:
    """Smallest integer ``n`` with power(n) >= target when ``Var = unit_var / n``."""
    z_a = ndtri(1 - alpha) if alternative == "one.sided" else ndtri(1 - alpha / 2)
    guess = unit_var * ((z_a + ndtri(target)) / effect) ** 2
    if not np.isfinite(guess) or guess > _MAX_N:
        raise UnsupportedError(
            f"power {target:g} needs more than {_MAX_N:,} respondents; the difference to "
            "detect is too small for this design"
        )

    def pw(n: float) -> float:
        return float(_power_at(math.sqrt(unit_var / n), effect, alpha, alternative))

    n = max(2, math.ceil(guess) - 2)
    while n > 2 and pw(n - 1) >= target:  # the approximation ignores the far tail
        n -= 1
    while pw(n) < target:
        n += 1
    return n


def _resolve_control(
    J: int,
    control_mean: float | None,
    control_var: float | None,
    data: Any,
    outcome: str,
    treat: str,
    rho: float,
    notes: list[str],
) -> tuple[float | None, float]:
    given = sum(x is not None for x in (control_mean, control_var, data))
    if data is not None and given > 1:
        raise UnsupportedError("give data, or control_mean/control_var, not both")
    if data is not None:
        m, v, k = _control_from_data(data, outcome, treat, J)
        notes.append(f"control-count variance {v:.4f} (mean {m:.3f}) from {k} control respondents")
        if not 0 < m < J:
            raise UnsupportedError(
                f"the control mean in the data ({m:.3f}) does not fit J = {J} control items"
            )
        return m, v
    if control_var is not None:
        v = float(control_var)
        if not (v > 0 and np.isfinite(v)):
            raise UnsupportedError(f"control_var = {control_var!r} must be a positive number")
        if v > J * J / 4:
            raise UnsupportedError(
                f"control_var = {v:g} exceeds J^2/4 = {J * J / 4:g}, the largest variance a "
                f"count between 0 and {J} can have"
            )
        return (None if control_mean is None else float(control_mean)), v
    if control_mean is None:
        notes.append(f"control mean not given: assumed J/2 = {J / 2:g} (items at 50%)")
    return (J / 2 if control_mean is None else float(control_mean)), control_variance(
        J, control_mean, rho
    )


def _treated_var(v0: float, pi: float, sensitive_cor: float) -> float:
    r = float(sensitive_cor)
    if not -1 <= r <= 1:
        raise UnsupportedError(f"sensitive_cor = {r:g} must lie in [-1, 1]")
    return v0 + pi * (1 - pi) + 2 * r * math.sqrt(v0 * pi * (1 - pi))


def _share(treated_share: float | str, v1: float, v0: float) -> tuple[float, float]:
    opt = math.sqrt(v1) / (math.sqrt(v1) + math.sqrt(v0))
    if treated_share == "optimal":
        return opt, opt
    return _open_unit("treated_share", treated_share), opt


def list_power(
    J: int,
    prevalence: float,
    null: float = 0.0,
    *,
    control_mean: float | None = None,
    control_var: float | None = None,
    data: Any = None,
    outcome: str = "y",
    treat: str = "treat",
    rho: float = 0.0,
    sensitive_cor: float = 0.0,
    n: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: Alternative = "two.sided",
    treated_share: float | Literal["optimal"] = 0.5,
) -> ListPower:
    """Power of the difference-in-means list estimator to detect ``prevalence`` against
    ``null``, or (with ``power``) the smallest total ``n`` reaching that power.

    The control count's variance comes from ``control_mean`` (mean count, default ``J/2``)
    and ``rho`` (average inter-item correlation), or ``control_var``, or the control group of
    ``data`` (a frame, file or bundled data set name; columns ``outcome`` and ``treat``).
    ``sensitive_cor`` is the correlation of the sensitive item with the control count.
    ``treated_share`` is the share shown the treated list (``"optimal"``: the Neyman
    allocation). Give exactly one of ``n`` and ``power``.
    """
    J = _check_J(J)
    pi = _open_unit("prevalence", prevalence)
    try:
        pi0 = float(null)
    except (TypeError, ValueError):
        raise UnsupportedError(f"null = {null!r} must be a number in [0, 1)") from None
    if not 0 <= pi0 < 1:
        raise UnsupportedError(f"null = {pi0:g} must lie in [0, 1)")
    if pi == pi0:
        raise UnsupportedError("prevalence equals null: there is no difference to detect")
    alpha = _open_unit("alpha", alpha)
    _check_alternative(alternative)
    if (n is None) == (power is None):
        raise UnsupportedError("give exactly one of n and power (the other is solved for)")
    notes: list[str] = []
    m, v0 = _resolve_control(J, control_mean, control_var, data, outcome, treat, rho, notes)
    v1 = _treated_var(v0, pi, sensitive_cor)
    s, s_opt = _share(treated_share, v1, v0)
    unit = v1 / s + v0 / (1 - s)  # n * Var(DiM)
    unit_opt = v1 / s_opt + v0 / (1 - s_opt)
    effect = pi - pi0
    return _finish(
        "list.power", n, power, unit, unit_opt, None, effect, alpha, alternative, s, s_opt,
        dict(prevalence=pi, null=pi0, J=J, control_mean=m, control_var=v0, treated_var=v1,
             sensitive_cor=float(sensitive_cor),
             rho=float(rho) if data is None and control_var is None else None),
        notes,
    )  # fmt: skip


def _finish(
    model: str,
    n: float | None,
    power: float | None,
    unit: float,
    unit_opt: float,
    unit_cons: float | None,
    effect: float,
    alpha: float,
    alternative: str,
    s: float,
    s_opt: float,
    fields: dict[str, Any],
    notes: list[str],
) -> ListPower:
    if power is None:
        nn = float(n)  # type: ignore[arg-type]
        if not (nn >= 2 and np.isfinite(nn)):
            raise UnsupportedError(f"n = {n!r} must be at least 2")
        pw = float(_power_at(math.sqrt(unit / nn), effect, alpha, alternative))
        n_out: int | float = int(nn) if nn == int(nn) else nn
        solved = "power"
        n_opt = n_cons = None
    else:
        pw = _open_unit("power", power)
        n_out = _solve_n(unit, effect, alpha, alternative, pw)
        solved = "n"
        n_opt = _solve_n(unit_opt, effect, alpha, alternative, pw)
        n_cons = None if unit_cons is None else _solve_n(unit_cons, effect, alpha, alternative, pw)
    return ListPower(
        model=model,
        n=n_out,
        power=pw,
        solved_for=solved,
        alpha=alpha,
        alternative=alternative,
        treated_share=s,
        n_treated=s * n_out,
        n_control=(1 - s) * n_out,
        std_error=math.sqrt(unit / n_out),
        optimal_treated_share=s_opt,
        n_optimal=n_opt,
        n_conservative=n_cons,
        notes=notes,
        **fields,
    )


def _cov_direct(pi: float, d: float, link: DirectLink | float) -> float:
    lo, hi = max(0.0, pi + d - 1) - pi * d, min(pi, d) - pi * d
    if isinstance(link, str):
        if link == "falsification":
            return hi
        if link == "independent":
            return 0.0
        if link == "conservative":
            return lo
        raise UnsupportedError(
            "direct_link must be 'falsification', 'independent', 'conservative' or a "
            f"correlation, not {link!r}"
        )
    r = float(link)
    c = r * math.sqrt(pi * (1 - pi) * d * (1 - d))
    if not lo - 1e-12 <= c <= hi + 1e-12:
        raise UnsupportedError(
            f"a correlation of {r:g} between the hidden and the direct answer is impossible "
            f"with shares {pi:g} and {d:g} (covariance must lie in [{lo:.4f}, {hi:.4f}])"
        )
    return c


def gap_power(
    J: int,
    *,
    gap: float | None = None,
    direct_share: float | None = None,
    prevalence: float | None = None,
    gap_null: float = 0.0,
    direct_link: DirectLink | float = "falsification",
    control_mean: float | None = None,
    control_var: float | None = None,
    data: Any = None,
    outcome: str = "y",
    treat: str = "treat",
    rho: float = 0.0,
    sensitive_cor: float = 0.0,
    n: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: Alternative = "two.sided",
    treated_share: float | Literal["optimal"] = 0.5,
) -> ListPower:
    """Power to detect a falsification gap (list share - direct share) against ``gap_null``,
    or the total ``n`` for a target power, when everyone answers the direct question and a
    random share ``treated_share`` sees the treated list.

    Give two of ``gap``, ``direct_share`` and ``prevalence`` (``prevalence = direct_share +
    gap``). ``direct_link`` fixes ``Cov(Z, D)`` (see the module docstring) or gives the
    correlation of the hidden and the direct answer. The other arguments as in
    :func:`list_power`. With ``power``, ``n_conservative`` is the n under the worst-case link.
    """
    J = _check_J(J)
    k = sum(x is not None for x in (gap, direct_share, prevalence))
    if k != 2:
        raise UnsupportedError("give exactly two of gap, direct_share and prevalence")
    if gap is None:
        pi, d = _open_unit("prevalence", prevalence), _open_unit("direct_share", direct_share)
    elif direct_share is None:
        pi = _open_unit("prevalence", prevalence)
        d = pi - float(gap)
        if not 0 < d < 1:
            raise UnsupportedError(f"prevalence - gap = {d:g} is not a direct share in (0, 1)")
    else:
        d = _open_unit("direct_share", direct_share)
        pi = d + float(gap)
        if not 0 < pi < 1:
            raise UnsupportedError(
                f"direct_share + gap = {pi:g} is not a prevalence in (0, 1); the gap is list "
                "share minus direct share (negative when people overstate support directly)"
            )
    g = pi - d
    g0 = float(gap_null)
    if not -1 < g0 < 1:
        raise UnsupportedError(f"gap_null = {g0:g} must lie in (-1, 1)")
    if g == g0:
        raise UnsupportedError("the gap equals gap_null: there is no difference to detect")
    alpha = _open_unit("alpha", alpha)
    _check_alternative(alternative)
    if (n is None) == (power is None):
        raise UnsupportedError("give exactly one of n and power (the other is solved for)")
    notes: list[str] = []
    m, v0 = _resolve_control(J, control_mean, control_var, data, outcome, treat, rho, notes)
    v1 = _treated_var(v0, pi, sensitive_cor)
    s, s_opt = _share(treated_share, v1, v0)
    c = _cov_direct(pi, d, direct_link)
    c_cons = _cov_direct(pi, d, "conservative")
    extra = d * (1 - d) - 2 * c
    extra_cons = d * (1 - d) - 2 * c_cons
    unit = v1 / s + v0 / (1 - s) + extra
    unit_opt = v1 / s_opt + v0 / (1 - s_opt) + extra
    unit_cons = v1 / s + v0 / (1 - s) + extra_cons
    if unit <= 0:  # pragma: no cover - impossible for valid inputs
        raise UnsupportedError("the gap has no variance under these assumptions")
    link_name = direct_link if isinstance(direct_link, str) else f"correlation {direct_link:g}"
    return _finish(
        "list.power", n, power, unit, unit_opt, unit_cons, g - g0, alpha, alternative, s, s_opt,
        dict(prevalence=pi, null=pi - g + g0, J=J, control_mean=m, control_var=v0,
             treated_var=v1, gap=g, gap_null=g0, direct_share=d, direct_link=link_name,
             cov_direct=c, sensitive_cor=float(sensitive_cor),
             rho=float(rho) if data is None and control_var is None else None),
        notes,
    )  # fmt: skip
