"""Simulation-based (Monte Carlo) power: simulate_power and its helpers."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from scipy.special import logit, ndtri

from unspoken.errors import UnsupportedError
from unspoken.power.checks import _check_alternative, _check_J, _open_unit
from unspoken.power.results import Alternative, SimulatedPower


def _rejects(est: np.ndarray, se: np.ndarray, null: float, truth: float, alpha: float,
             alternative: str) -> np.ndarray:  # fmt: skip
    t = (est - null) / se
    if alternative == "one.sided":
        return (np.sign(truth - null) * t) > ndtri(1 - alpha)
    return np.abs(t) > ndtri(1 - alpha / 2)


def _progress(enabled: bool | None, total: int) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import Progress

    p = Progress(console=Console(stderr=True), transient=True)
    p.start()
    return p, p.add_task("simulating", total=total)


def _dim_arrays(y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise DiM, its SE (sample variances, ddof 1) and per-respondent influence values."""
    n1 = t.sum(axis=1)
    n0 = t.shape[1] - n1
    m1 = (y * t).sum(axis=1) / n1
    m0 = (y * (1 - t)).sum(axis=1) / n0
    r = np.where(t == 1, y - m1[:, None], y - m0[:, None])
    ss1 = (r**2 * t).sum(axis=1)
    ss0 = (r**2 * (1 - t)).sum(axis=1)
    se = np.sqrt(ss1 / (n1 - 1) / n1 + ss0 / (n0 - 1) / n0)
    n = t.shape[1]
    infl = n * np.where(t == 1, r / n1[:, None], -r / n0[:, None])
    return m1 - m0, se, infl


#: the largest simulation simulate_power runs: beyond these it would run for hours or
#: exhaust memory without making the power any more precise
MAX_SIMULATION_REPS = 1_000_000
MAX_SIMULATED_RESPONDENTS = 1_000_000_000


def simulate_power(
    estimator: Literal["dim", "ml", "gap"] | Callable[[Any], tuple[float, float]] = "dim",
    n: int = 1000,
    reps: int = 1000,
    seed: int | None = None,
    *,
    design: Literal["list", "gap"] = "list",
    J: int = 4,
    prevalence: float = 0.2,
    null: float = 0.0,
    control_probs: Any = None,
    direct_share: float | None = None,
    treated_share: float = 0.5,
    delta: Any = None,
    psi: Any = None,
    formula: str = "y ~ 1",
    alpha: float = 0.05,
    alternative: Alternative = "two.sided",
    progress: bool | None = None,
    chunk: int = 2_000_000,
) -> SimulatedPower:
    """Monte Carlo power: draw ``reps`` surveys of ``n`` respondents from the simulation
    engine, estimate, and count rejections of ``null`` (Wald test, the estimator's s.e.).

    ``design="list"`` draws from :func:`~unspoken.simulate.listexp.simulate_list` with
    ``J`` items at share ``control_probs`` (a scalar, default 0.5) and trait prevalence
    ``prevalence`` (or logit coefficients ``delta``/``psi`` with standard normal covariates
    ``x1, x2, ...``; the truth is then the sample prevalence's expectation, estimated from the
    draws). ``design="gap"`` draws from :func:`~unspoken.simulate.gap.simulate_gap` (direct
    question of everyone, falsification model; ``control_probs`` a list of ``J`` shares) with
    true prevalence ``prevalence`` and direct share ``direct_share``; the truth and ``null``
    then refer to the gap. ``estimator``: ``"dim"`` (list) or ``"gap"`` (gap) are computed
    for all replications at once from one vectorised draw; ``"ml"`` fits
    :func:`unspoken.list_experiment` with ``formula``; a callable takes the simulated frame
    and returns ``(estimate, std_error)``. A progress bar shows when stderr is a terminal.
    """
    from unspoken.inference.covariance import _whole_number, check_seed

    J = _check_J(J)
    n_int, reps_int = _whole_number(n), _whole_number(reps)
    if n_int is None or reps_int is None or n_int < 4 or reps_int < 1:
        raise UnsupportedError(
            f"n must be a whole number of at least 4 and reps one of at least 1 (got n = {n!r}, "
            f"reps = {reps!r})"
        )
    if reps_int > MAX_SIMULATION_REPS or n_int * reps_int > MAX_SIMULATED_RESPONDENTS:
        raise UnsupportedError(
            f"reps = {reps_int:,} surveys of n = {n_int:,} respondents is too large a "
            f"simulation: reps may be at most {MAX_SIMULATION_REPS:,} (the Monte Carlo s.e. of "
            f"the power is then below 0.0005) and reps x n at most "
            f"{MAX_SIMULATED_RESPONDENTS:,} respondents (minutes of computing)"
        )
    n, reps = n_int, reps_int
    alpha = _open_unit("alpha", alpha)
    _check_alternative(alternative)
    treated_share = _open_unit("treated_share", treated_share)
    rng = np.random.default_rng(check_seed(seed))
    if design not in ("list", "gap"):
        raise UnsupportedError(f"design must be 'list' or 'gap', not {design!r}")
    est = np.full(reps, np.nan)
    se = np.full(reps, np.nan)
    bar = _progress(progress, reps)

    def advance(k: int) -> None:
        if bar is not None:
            bar[0].update(bar[1], advance=k)

    if design == "list":
        from unspoken.simulate.listexp import simulate_list

        pi = _open_unit("prevalence", prevalence)
        cp = 0.5 if control_probs is None else control_probs
        if np.ndim(cp) != 0:
            raise UnsupportedError("design='list' takes one control_probs share for all items")
        cp = _open_unit("control_probs", cp)
        d = np.array([logit(pi)] if delta is None else delta, dtype=float)
        p = np.array([logit(cp)] if psi is None else psi, dtype=float)
        if p.size == 1 and d.size > 1:
            p = np.concatenate([p, np.zeros(d.size - 1)])

        def draw(m: int) -> Any:
            return simulate_list(m, J, d, p, treat_share=treated_share, seed=rng)

        truth = pi if d.size == 1 else float("nan")
        if estimator == "dim":

            def dim(df: Any, y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                return _dim_arrays(y, t)[:2]

            first = _by_chunk(draw, n, chunk, dim, est, se, advance)
            if d.size > 1:
                truth = float(first["prob_z"].mean())
            name = "difference in means"
        elif estimator == "gap":
            raise UnsupportedError("estimator='gap' needs design='gap'")
        else:
            truths = _one_by_one(draw, n, _fitter(estimator, formula, J), est, se, advance)
            truth = pi if d.size == 1 else float(np.mean(truths))
            name = _name(estimator)
    else:
        from unspoken.simulate.gap import simulate_gap

        pi = _open_unit("prevalence", prevalence)
        if direct_share is None:
            raise UnsupportedError("design='gap' needs direct_share")
        dsh = _open_unit("direct_share", direct_share)
        if dsh < pi:
            raise UnsupportedError(
                "the gap simulation's falsification model needs direct_share >= prevalence"
            )
        f = (dsh - pi) / (1 - pi)
        probs = (
            [0.5] * J if control_probs is None else list(np.atleast_1d(control_probs).astype(float))
        )

        def draw(m: int) -> Any:
            df, _ = simulate_gap(
                m, J=J, prevalence=pi, falsification=f, layout="everyone",
                control_probs=probs, p_treat=treated_share, seed=rng,
            )  # fmt: skip
            return df

        truth = pi - dsh
        if estimator in ("gap", "dim"):

            def gap(df: Any, y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                e, s, infl = _dim_arrays(y, t)
                if estimator == "gap":  # the gap's influence values: DiM's minus the direct's
                    dd = df["direct"].to_numpy(float).reshape(y.shape)
                    dm = dd.mean(axis=1)
                    psi_g = infl - (dd - dm[:, None])
                    e = e - dm
                    s = np.sqrt((psi_g**2).sum(axis=1)) / n
                return e, s

            _by_chunk(draw, n, chunk, gap, est, se, advance)
            if estimator == "dim":
                truth = pi
            name = "falsification gap" if estimator == "gap" else "difference in means"
        else:
            _one_by_one(draw, n, _fitter(estimator, formula, J), est, se, advance)
            name = _name(estimator)
    if bar is not None:
        bar[0].stop()
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    failures = int(reps - ok.sum())
    if not ok.any():
        raise UnsupportedError("every simulated fit failed; check the design and estimator")
    rej = _rejects(est[ok], se[ok], float(null), truth, alpha, alternative)
    pw = float(rej.mean())
    m = int(ok.sum())
    return SimulatedPower(
        estimator=name,
        design=design,
        n=n,
        reps=reps,
        power=pw,
        mc_se=math.sqrt(max(pw * (1 - pw), 1.0 / m) / m),
        mean_estimate=float(est[ok].mean()),
        sd_estimate=float(est[ok].std(ddof=1)) if m > 1 else float("nan"),
        mean_std_error=float(se[ok].mean()),
        truth=float(truth),
        null=float(null),
        alpha=alpha,
        alternative=alternative,
        failures=failures,
        seed=seed,
    )


def _by_chunk(
    draw: Callable[[int], Any],
    n: int,
    chunk: int,
    compute: Callable[[Any, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    est: np.ndarray,
    se: np.ndarray,
    advance: Callable[[int], None],
) -> Any:
    """Fill ``est`` and ``se`` for every replication from vectorised draws of about
    ``chunk`` respondents (``k`` surveys of ``n`` at a time; ``compute(frame, y, t)`` gets
    the counts and treatment as ``(k, n)`` arrays); returns the first draw's frame."""
    reps = len(est)
    per = max(1, chunk // n)
    done, first = 0, None
    while done < reps:
        k = min(per, reps - done)
        df = draw(k * n)
        first = df if first is None else first
        y = df["y"].to_numpy(float).reshape(k, n)
        t = df["treat"].to_numpy(float).reshape(k, n)
        est[done : done + k], se[done : done + k] = compute(df, y, t)
        done += k
        advance(k)
    return first


def _one_by_one(
    draw: Callable[[int], Any],
    n: int,
    fit_one: Callable[[Any], tuple[float, float]],
    est: np.ndarray,
    se: np.ndarray,
    advance: Callable[[int], None],
) -> list[Any]:
    """Fill ``est`` and ``se`` by fitting one simulated survey at a time; returns each
    draw's true sample prevalence (``None`` where the simulator records none)."""
    truths = []
    for i in range(len(est)):
        df = draw(n)
        truths.append(df.attrs.get("prevalence"))
        est[i], se[i] = fit_one(df)
        advance(1)
    return truths


def _name(estimator: Any) -> str:
    return estimator if isinstance(estimator, str) else getattr(estimator, "__name__", "custom")


def _fitter(estimator: Any, formula: str, J: int) -> Callable[[Any], tuple[float, float]]:
    if callable(estimator):
        return estimator
    if estimator != "ml":
        raise UnsupportedError(
            f"estimator must be 'dim', 'ml', 'gap' or a callable, not {estimator!r}"
        )
    from unspoken.errors import ConvergenceError
    from unspoken.listexp.standard import list_experiment

    def fit(df: Any) -> tuple[float, float]:
        try:
            res = list_experiment(df, formula, J=J, method="ml")
        except ConvergenceError:
            return float("nan"), float("nan")
        p = res.prevalence
        return float(p.estimate), float(p.std_error)

    return fit
