"""A list experiment re-analysed from its published table: how many respondents gave each
answer (0..J in the control arm, 0..J+1 in the treated arm).

Every estimator here is a function of those counts, so the table gives exactly what the
microdata give (no respondent is re-created; the counts act as frequency weights):

- difference in means, ``mean_1 - mean_0`` with the unbiased variance of each arm
  (``s_t^2 / n_t``, the HC2 variance :func:`unspoken.list_experiment` uses for ``"dim"``) and a
  t interval with ``n`` degrees of freedom, as there;
- the intercept-only maximum likelihood of Imai (2011) (:func:`unspoken.listexp.ml.ml_core` with
  the counts as frequency weights), its prevalence ``expit(delta)`` with a delta-method error;
- the design-effect test of Blair & Imai (2012) (:mod:`unspoken.listexp.design_test`), which
  needs only the two arms' empirical distributions;
- the floor and ceiling warning shares (treated answering 0 and J+1).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from unspoken.errors import DataError, UnsupportedError
from unspoken.results import Estimate
from unspoken.tables.results import ListTableResult

__all__ = ["list_from_counts"]


def _counts(value: Any, name: str, whole: bool = True) -> np.ndarray:
    """Non-negative counts (whole unless ``whole`` is false: shares) from a sequence (answer
    0 first) or {answer: count}."""
    if isinstance(value, Mapping):
        try:
            keys = [int(k) for k in value]
        except (TypeError, ValueError):
            raise DataError(
                f"{name}: the answers (keys) must be whole numbers 0, 1, 2, ...", param=name
            ) from None
        if min(keys, default=0) < 0:
            raise DataError(f"{name}: an answer (key) is negative", param=name)
        out = np.zeros(max(keys, default=-1) + 1)
        for k, v in zip(keys, value.values(), strict=True):
            out[k] += _one(v, name, k, whole)
        return out
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise DataError(
            f"{name} must list the number of respondents giving each answer 0, 1, 2, ... "
            f"(a list or a dict), got {type(value).__name__}",
            param=name,
        )
    return np.array([_one(v, name, k, whole) for k, v in enumerate(value)], dtype=float)


def _one(v: Any, name: str, k: int, whole: bool) -> float:
    ok = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
    if not ok or not np.isfinite(v) or v < 0 or (whole and float(v) != int(v)):
        what = "count" if whole else "share"
        kind = "a whole number" if whole else "a number"
        raise DataError(
            f"{name}: the {what} of answer {k} must be {kind} >= 0, got {v!r}"
            + (" (a table of percentages needs n_control and n_treated)" if whole else ""),
            param=name,
        )
    return float(v)


def _arm_size(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
        raise DataError(
            f"{name} must be a whole number of respondents >= 2, got {value!r}", param=name
        )
    return int(value)


def _from_shares(
    s0: np.ndarray, s1: np.ndarray, n0: int, n1: int, units: Any, decimals: Any
) -> tuple[np.ndarray, np.ndarray, Any, list[str]]:
    """Counts (fractional) from each arm's shares and size; the rounding of the shares as a
    function of the difference in means; notes."""
    from unspoken.tables.rounding import (
        check_decimals,
        check_units,
        corner_range,
        half_unit,
        read_units,
        rounding_text,
        sum_slack,
    )

    dec = check_decimals(decimals, [*s0.tolist(), *s1.tolist()])
    given = check_units(units)
    notes: list[str] = []
    unit = given
    for name, s in (("control", s0), ("treated", s1)):
        u, note = read_units(float(s.sum()), given, sum_slack(dec, len(s)), f"{name} shares", name)
        if unit is not None and u != unit:
            raise DataError(
                "the control shares sum to about 100 and the treated to about 1 (or the "
                "reverse): give units=",
                param="units",
            )
        unit = u
        if note:
            notes.append(note)
        full = 100.0 if u == "percent" else 1.0
        if abs(float(s.sum()) - full) > sum_slack(dec, len(s)) + 1e-9 * full:
            raise DataError(
                f"{name}: the shares sum to {s.sum():g}, not {full:g} within their rounding",
                param=name,
            )
    notes.append(
        f"counts from the published shares and the arms' sizes ({n0:,} control, {n1:,} "
        "treated), not rounded to whole respondents"
    )
    h = half_unit(dec, unit)  # type: ignore[arg-type]

    def mean_range(s: np.ndarray) -> tuple[float, float]:
        k = np.arange(len(s), dtype=float)
        return corner_range(s / s.sum(), h, lambda rows: rows @ k)

    def rounding(dim: float) -> Any:
        from unspoken.tables.results import Rounding

        lo0, hi0 = mean_range(s0)
        lo1, hi1 = mean_range(s1)
        lo, hi = lo1 - hi0, hi1 - lo0
        return Rounding(dec, lo, hi, rounding_text(lo, hi, dim, dec, unit))  # type: ignore[arg-type]

    return s0 / s0.sum() * n0, s1 / s1.sum() * n1, rounding, notes


def _check_J(J: Any, c0: np.ndarray, c1: np.ndarray) -> int:
    """J from the arms' lengths (control 0..J, treated 0..J+1), checked against a given J."""
    if J is not None and (isinstance(J, bool) or not isinstance(J, int | np.integer) or J < 1):
        raise UnsupportedError(f"J must be a whole number >= 1, got {J!r}", param="J")
    if J is None:
        J = len(c0) - 1
        if J < 1:
            raise DataError(
                f"control: give the counts of answers 0..J (at least two), not {len(c0)}",
                param="control",
            )
    J = int(J)
    for name, c, top in (("control", c0, J), ("treated", c1, J + 1)):
        if len(c) != top + 1:
            raise DataError(
                f"{name}: with J = {J} the {name} arm answers 0..{top}, so give {top + 1} "
                f"counts, not {len(c)} (J = number of control items)",
                param=name,
            )
    return J


def _moments(c: np.ndarray) -> tuple[float, float, float]:
    """n, mean and unbiased variance of the answers 0..len-1 given their counts."""
    k = np.arange(len(c), dtype=float)
    n = float(c.sum())
    m = float(c @ k) / n
    v = float(c @ (k - m) ** 2) / (n - 1)
    return n, m, v


def _dim(c0: np.ndarray, c1: np.ndarray, level: float, n: int) -> Estimate:
    from unspoken.inference.delta import independent_se
    from unspoken.listexp.predict import t_crit

    n0, m0, v0 = _moments(c0)
    n1, m1, v1 = _moments(c1)
    se = independent_se(np.sqrt(v0 / n0), np.sqrt(v1 / n1))
    return Estimate.from_se(m1 - m0, se, level, n=n, crit=t_crit(level, n))


def _ml(c0: np.ndarray, c1: np.ndarray, J: int, level: float, n: int) -> tuple[Any, list[str]]:
    """Intercept-only ML from the counts as frequency weights: (fit parts, notes)."""
    from scipy.special import expit

    from unspoken.inference.delta import delta_estimate
    from unspoken.listexp.ml import ml_core
    from unspoken.listexp.predict import t_crit

    y = np.r_[np.arange(len(c0)), np.arange(len(c1))].astype(float)
    t = np.r_[np.zeros(len(c0)), np.ones(len(c1))]
    w = np.r_[c0, c1]
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        core = ml_core(
            y[keep], t[keep], np.ones((int(keep.sum()), 1)), ["(Intercept)"], J, w[keep],
            compress=False, quiet=True,
        )  # fmt: skip
    g = float(expit(core.theta[0]))
    prev = delta_estimate(
        g, np.array([g * (1 - g)]), core.model_cov[:1, :1], level=level, n=n,
        crit=t_crit(level, n),
    )  # fmt: skip
    p = float(expit(core.theta[1]))
    item = delta_estimate(
        p, np.array([p * (1 - p)]), core.model_cov[1:, 1:], level=level, n=n,
        crit=t_crit(level, n),
    )  # fmt: skip
    return (prev, item, float(core.loglik), bool(core.converged)), list(core.notes)


def list_from_counts(
    control: Sequence[int] | Mapping[int, int],
    treated: Sequence[int] | Mapping[int, int],
    J: int | None = None,
    *,
    level: float = 0.95,
    alpha: float = 0.05,
    gms: bool = True,
    compat: str = "paper",
    seed: int | None = None,
    ml: bool = True,
    n_control: int | None = None,
    n_treated: int | None = None,
    units: str | None = None,
    decimals: int | None = None,
) -> ListTableResult:
    """A list experiment from its published table of answer counts.

    ``control`` and ``treated`` give the number of respondents answering 0, 1, 2, ... items
    (a list, answer 0 first, or a dict ``{answer: count}``): 0..J in the control arm, 0..J+1
    in the treated arm. ``J`` (the number of control items) is read from the control arm's
    length unless given. Returns the difference in means, the intercept-only maximum
    likelihood (``ml=False`` skips it), the design-effect test (``alpha``, ``gms``,
    ``compat`` and ``seed`` as in :func:`unspoken.design_test`) and the floor and ceiling
    shares, as a :class:`~unspoken.tables.results.ListTableResult`. Every number equals what
    the same functions give on the respondents the table counts.

    A table of percentages instead of counts: give each arm's size (``n_control``,
    ``n_treated``) and the shares of each answer in ``control`` and ``treated`` (``units``
    "percent" or "proportion", read from their sums when not given); the result then says
    how far the rounding of the shares (printed to ``decimals``, read from the numbers when
    not given) could move the difference in means.
    """
    from unspoken.inference.covariance import check_seed
    from unspoken.listexp.design_test import _block_test, _pi_table
    from unspoken.listexp.design_test_results import DesignTestResult
    from unspoken.results import check_level

    level = check_level(level)
    alpha = check_level(alpha, "alpha", 0.05)
    if compat not in ("paper", "list"):
        raise UnsupportedError(f"compat must be 'paper' or 'list', not {compat!r}", param="compat")
    shares = n_control is not None or n_treated is not None
    if shares and (n_control is None or n_treated is None):
        missing = "n_treated" if n_treated is None else "n_control"
        raise DataError(f"{missing}: a table of shares needs the size of both arms", param=missing)
    c0, c1 = _counts(control, "control", not shares), _counts(treated, "treated", not shares)
    J = _check_J(J, c0, c1)
    notes: list[str] = []
    rounding = None
    if shares:
        n0, n1 = _arm_size(n_control, "n_control"), _arm_size(n_treated, "n_treated")
        c0, c1, rounding, notes = _from_shares(c0, c1, n0, n1, units, decimals)
    else:
        if units is not None or decimals is not None:
            raise UnsupportedError(
                "units= and decimals= are for a table of shares (with n_control and "
                "n_treated); counts are whole numbers",
                param="units" if units is not None else "decimals",
            )
        n0, n1 = int(c0.sum()), int(c1.sum())
    for name, size in (("control", n0), ("treated", n1)):
        if size < 2:
            raise DataError(
                f"{name}: an arm needs at least 2 respondents, the table counts {size}",
                param=name,
            )
    n = n0 + n1
    dim = _dim(c0, c1, level, n)
    ml_parts = None
    if ml:
        ml_parts, ml_notes = _ml(c0, c1, J, level, n)
        notes += ml_notes

    # the design test reads only the empirical CDFs of the two arms (F(-1) = 0 first)
    f0 = np.concatenate([[0.0], np.cumsum(np.r_[c0, 0.0]) / c0.sum()])
    f1 = np.concatenate([[0.0], np.cumsum(c1) / c1.sum()])
    seed = check_seed(seed)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    tests = [_block_test(z, J, f0, f1, n0, n1, n, gms, compat, rng) for z in (0, 1)]  # type: ignore[arg-type]
    p_bonf = min(1.0, 2.0 * min(tt.p_value for tt in tests))
    floor_ceiling = {
        "treated_0": float(c1[0] / c1.sum()),
        "treated_J_plus_1": float(c1[J + 1] / c1.sum()),
        "control_0": float(c0[0] / c0.sum()),
        "control_J": float(c0[J] / c0.sum()),
    }
    design = DesignTestResult(
        J=J, n=n, n_control=n0, n_treated=n1, pi=_pi_table(J, f0, f1, n0, n1), tests=tests,
        p_bonferroni=p_bonf, alpha=alpha, design_effect=bool(p_bonf < alpha), gms=bool(gms),
        compat=compat, floor_ceiling=floor_ceiling,
        seed=seed if isinstance(seed, int | np.integer) else None,
    )  # fmt: skip
    return ListTableResult(
        J=J,
        control=[_count_value(v) for v in c0],
        treated=[_count_value(v) for v in c1],
        dim=dim,
        ml=None if ml_parts is None else ml_parts[0],
        ml_control=None if ml_parts is None else ml_parts[1],
        ml_loglik=None if ml_parts is None else ml_parts[2],
        ml_converged=None if ml_parts is None else ml_parts[3],
        design=design,
        floor_ceiling=floor_ceiling,
        notes=notes,
        level=level,
        rounding=None if rounding is None else rounding(dim.estimate),
    )


def _count_value(v: float) -> int | float:
    """A count as published (whole) or derived from a share (fractional)."""
    return int(v) if float(v).is_integer() else float(v)
