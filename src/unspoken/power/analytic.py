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
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from unspoken.errors import DataError, UnsupportedError
from unspoken.keywords import spread_options
from unspoken.power.checks import _check_J, _open_unit
from unspoken.power.options import ControlItems, TestSpec
from unspoken.power.results import DirectLink, ListPower

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
    from unspoken.io.columns import numeric_column
    from unspoken.io.frames import _raise_rows, require_columns, to_pandas

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
    from unspoken.io.readers import read_data

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


def _resolve_control(items: ControlItems, notes: list[str]) -> tuple[float | None, float]:
    """The control count's mean (``None`` when only its variance was given) and variance."""
    J, control_mean = items.J, items.control_mean
    if items.data is not None:
        m, v, k = _control_from_data(items.data, items.outcome, items.treat, J)
        notes.append(f"control-count variance {v:.4f} (mean {m:.3f}) from {k} control respondents")
        if not 0 < m < J:
            raise UnsupportedError(
                f"the control mean in the data ({m:.3f}) does not fit J = {J} control items"
            )
        return m, v
    if items.control_var is not None:
        return (None if control_mean is None else float(control_mean)), float(items.control_var)
    if control_mean is None:
        notes.append(f"control mean not given: assumed J/2 = {J / 2:g} (items at 50%)")
    return (J / 2 if control_mean is None else float(control_mean)), control_variance(
        J, control_mean, items.rho
    )


def _treated_var(v0: float, pi: float, r: float) -> float:
    return v0 + pi * (1 - pi) + 2 * r * math.sqrt(v0 * pi * (1 - pi))


def _list_variances(
    items: ControlItems, test: TestSpec, pi: float, notes: list[str]
) -> tuple[dict[str, Any], float, float, float, float]:
    """The control and treated variances for prevalence ``pi`` (as result fields), the
    treated share and the Neyman share, and ``n Var(DiM)`` at each share."""
    m, v0 = _resolve_control(items, notes)
    v1 = _treated_var(v0, pi, items.sensitive_cor)
    opt = math.sqrt(v1) / (math.sqrt(v1) + math.sqrt(v0))
    s = opt if test.treated_share == "optimal" else float(test.treated_share)
    fields = dict(
        J=items.J,
        control_mean=m,
        control_var=v0,
        treated_var=v1,
        sensitive_cor=items.sensitive_cor,
        rho=items.assumed_rho,
    )
    return fields, s, opt, v1 / s + v0 / (1 - s), v1 / opt + v0 / (1 - opt)


@spread_options(items=ControlItems, test=TestSpec)
def list_power(
    J: int, prevalence: float, null: float = 0.0, *, items: ControlItems, test: TestSpec
) -> ListPower:
    """Power of the difference-in-means list estimator to detect ``prevalence`` against
    ``null``, or (with ``power``) the smallest total ``n`` reaching that power.

    The control count's variance comes from ``control_mean`` (mean count, default ``J/2``)
    and ``rho`` (average inter-item correlation), or ``control_var``, or the control group of
    ``data`` (a frame, file or bundled data set name; columns ``outcome`` and ``treat``).
    ``sensitive_cor`` is the correlation of the sensitive item with the control count.
    ``treated_share`` is the share shown the treated list (``"optimal"``: the Neyman
    allocation). Give exactly one of ``n`` and ``power``; ``alpha`` is the test level and
    ``alternative`` ``"two.sided"`` (default) or ``"one.sided"``. These keyword arguments
    are the fields of :class:`~unspoken.power.options.ControlItems` and
    :class:`~unspoken.power.options.TestSpec`.
    """
    pi = _open_unit("prevalence", prevalence)
    try:
        pi0 = float(null)
    except (TypeError, ValueError):
        raise UnsupportedError(f"null = {null!r} must be a number in [0, 1)") from None
    if not 0 <= pi0 < 1:
        raise UnsupportedError(f"null = {pi0:g} must lie in [0, 1)")
    if pi == pi0:
        raise UnsupportedError("prevalence equals null: there is no difference to detect")
    notes: list[str] = []
    fields, s, s_opt, unit, unit_opt = _list_variances(items, test, pi, notes)
    fields.update(prevalence=pi, null=pi0)
    return _finish(test, unit, unit_opt, None, pi - pi0, s, s_opt, fields, notes)


def _finish(
    test: TestSpec,
    unit: float,
    unit_opt: float,
    unit_cons: float | None,
    effect: float,
    s: float,
    s_opt: float,
    fields: dict[str, Any],
    notes: list[str],
) -> ListPower:
    alpha, alternative = test.alpha, test.alternative
    if test.power is None:
        nn = float(test.n)  # type: ignore[arg-type]
        pw = float(_power_at(math.sqrt(unit / nn), effect, alpha, alternative))
        n_out: int | float = int(nn) if nn == int(nn) else nn
        solved = "power"
        n_opt = n_cons = None
    else:
        pw = test.power
        n_out = _solve_n(unit, effect, alpha, alternative, pw)
        solved = "n"
        n_opt = _solve_n(unit_opt, effect, alpha, alternative, pw)
        n_cons = None if unit_cons is None else _solve_n(unit_cons, effect, alpha, alternative, pw)
    return ListPower(
        model="list.power",
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


@spread_options(items=ControlItems, test=TestSpec)
def gap_power(
    J: int,
    *,
    gap: float | None = None,
    direct_share: float | None = None,
    prevalence: float | None = None,
    gap_null: float = 0.0,
    direct_link: DirectLink | float = "falsification",
    items: ControlItems,
    test: TestSpec,
) -> ListPower:
    """Power to detect a falsification gap (list share - direct share) against ``gap_null``,
    or the total ``n`` for a target power, when everyone answers the direct question and a
    random share ``treated_share`` sees the treated list.

    Give two of ``gap``, ``direct_share`` and ``prevalence`` (``prevalence = direct_share +
    gap``). ``direct_link`` fixes ``Cov(Z, D)`` (see the module docstring) or gives the
    correlation of the hidden and the direct answer. The other arguments as in
    :func:`list_power`. With ``power``, ``n_conservative`` is the n under the worst-case link.
    """
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
    notes: list[str] = []
    fields, s, s_opt, dim, dim_opt = _list_variances(items, test, pi, notes)
    c = _cov_direct(pi, d, direct_link)
    extra = d * (1 - d) - 2 * c
    unit_cons = dim + d * (1 - d) - 2 * _cov_direct(pi, d, "conservative")
    if dim + extra <= 0:  # pragma: no cover - impossible for valid inputs
        raise UnsupportedError("the gap has no variance under these assumptions")
    link_name = direct_link if isinstance(direct_link, str) else f"correlation {direct_link:g}"
    fields.update(prevalence=pi, null=pi - g + g0, gap=g, gap_null=g0, direct_share=d,
                  direct_link=link_name, cov_direct=c)  # fmt: skip
    return _finish(test, dim + extra, dim_opt + extra, unit_cons, g - g0, s, s_opt, fields, notes)
