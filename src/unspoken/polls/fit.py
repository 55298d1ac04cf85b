"""Pooling the polls: a latent random walk seen through polls with house effects (the fit).

Jackman (2005), "Pooling the polls over an election campaign", Australian Journal of Political
Science 40(4):499-517; Jackman (2009), Bayesian Analysis for the Social Sciences, Example 9.3.
Here the model is fitted exactly (no MCMC): given the variances it is linear-Gaussian, so the
smoothed trend, the house effects and the restricted log-likelihood come from one banded
Cholesky factorisation (see :mod:`unspoken.polls.smoother`); the innovation SD and each
pollster's extra SD are maximum-likelihood estimates (diffuse/restricted likelihood).

This module fits polls already read and checked (:func:`fit_prepared_polls`, with the
options :class:`~unspoken.polls.options.PollFit` checked once); the entry point
:func:`unspoken.polls.fit_polls` (in :mod:`unspoken.polls.model`) reads the data and adds
the "hard to say" comparison (:mod:`unspoken.polls.hard_to_say`), both of which build on
this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from unspoken.errors import DataError, UnsupportedError
from unspoken.polls.data import Polls
from unspoken.polls.dates import parse_date
from unspoken.polls.inference import hyper_correction, phi_variances, result_fields
from unspoken.polls.integrate import choose_route, integrate_sigma, mixture_hyper
from unspoken.polls.options import Bands as Bands
from unspoken.polls.options import Fieldwork, Period, PollFit
from unspoken.polls.results import PollsResult
from unspoken.polls.smoother import Design, build_design, solve

DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Anchor:
    """The latent share is ``estimate`` (s.e. ``std_error``; 0 fixes it) on ``date``.

    ``estimate`` and ``std_error`` are in the units of the poll shares. An election result,
    or an indirect estimate (list experiment, randomized response) of the same quantity.
    """

    date: Any
    estimate: float
    std_error: float = 0.0
    label: str | None = None

    @classmethod
    def from_estimate(
        cls, date: Any, estimate: Any, units: Literal["percent", "proportion"] = "percent"
    ) -> Anchor:
        """An anchor from an indirect estimate (an :class:`~unspoken.results.Estimate`, e.g.
        a list experiment's ``.prevalence``, which is a proportion), put into ``units`` (those
        of the poll shares)."""
        f = 100.0 if units == "percent" else 1.0
        label = getattr(estimate, "label", None)
        return cls(date, f * float(estimate.estimate), f * float(estimate.std_error), label)


def parse_anchor(spec: Any) -> str | Anchor:
    """``"sum-to-zero"``, ``"pollster:NAME"``, ``"value:DATE:EST:SE"``, an :class:`Anchor`,
    or a ``(date, estimate[, se])`` tuple."""
    if isinstance(spec, Anchor):
        return spec
    if isinstance(spec, tuple | list) and len(spec) in (2, 3):
        return Anchor(spec[0], float(spec[1]), float(spec[2]) if len(spec) == 3 else 0.0)
    if not isinstance(spec, str):
        raise UnsupportedError(f"cannot read anchor {spec!r}")
    s = spec.strip()
    if s in ("sum-to-zero", "sum_to_zero", "sum"):
        return "sum-to-zero"
    if s.startswith("pollster:"):
        name = s.split(":", 1)[1].strip()
        if not name:
            raise UnsupportedError("anchor 'pollster:NAME' needs a pollster name")
        return "pollster:" + name
    if s.startswith("value:"):
        parts = s.split(":")
        if len(parts) not in (3, 4):
            raise UnsupportedError(
                f"anchor {spec!r}: expected value:DATE:EST:SE (e.g. value:2007-11-24:43.38:0)"
            )
        try:
            est = float(parts[2])
            se = float(parts[3]) if len(parts) == 4 else 0.0
        except ValueError:
            raise UnsupportedError(f"anchor {spec!r}: EST and SE must be numbers") from None
        return Anchor(parts[1], est, se)
    raise UnsupportedError(
        f"unknown anchor {spec!r}: use sum-to-zero, pollster:NAME or value:DATE:EST:SE"
    )


def _anchor_date(a: Anchor) -> np.datetime64:
    try:
        return parse_date(a.date, "anchor date")
    except DataError as e:
        raise DataError(f"{e} (the anchor date does not parse)") from None


def _identification(anchor: Any, pollsters: list[str]) -> tuple[str, np.ndarray, list[Anchor]]:
    """``(name, C, value anchors)`` from one anchor spec or a list/tuple of them."""
    single = (
        isinstance(anchor, tuple)
        and len(anchor) in (2, 3)
        and isinstance(anchor[1], int | float | np.number)
    )  # one (date, estimate[, se]) tuple, not a tuple of specs
    specs = list(anchor) if isinstance(anchor, list | tuple) and not single else [anchor]
    parsed = [parse_anchor(s) for s in specs]
    values = [a for a in parsed if isinstance(a, Anchor)]
    others = [a for a in parsed if not isinstance(a, Anchor)]
    J = len(pollsters)
    if values and others:
        raise UnsupportedError(
            f"value anchors identify the level on their own; do not combine them with {others[0]}"
        )
    if len(others) > 1:
        raise UnsupportedError("give one identification: sum-to-zero or pollster:NAME")
    for a in values:
        if not (math.isfinite(a.estimate) and math.isfinite(a.std_error)) or a.std_error < 0:
            raise DataError(f"anchor {a}: estimate must be finite and std_error >= 0")
    if values:
        return "anchored", np.eye(J), values
    kind = others[0]
    name = kind.split(":", 1)[1] if kind != "sum-to-zero" else ""
    if name and name not in pollsters:
        raise DataError(
            f"anchor pollster '{name}' is not in the data; pollsters are: {', '.join(pollsters)}"
        )
    if J == 1:  # nothing to compare the one pollster with: no house effect is identified
        return "none (one pollster)", np.zeros((1, 0)), []
    if kind == "sum-to-zero":
        C = np.vstack([np.eye(J - 1), -np.ones((1, J - 1))])
        return "sum-to-zero", C, []
    j = pollsters.index(name)
    return f"pollster {name} = 0", np.delete(np.eye(J), j, axis=1), []


@dataclass
class Grid:
    origin: np.datetime64  # first day of period 0
    period: Period
    T: int

    @property
    def days(self) -> int:
        return 1 if self.period == "day" else 7

    def day(self, dates: np.ndarray) -> np.ndarray:
        """Whole days from the origin."""
        return ((np.asarray(dates, "datetime64[ns]") - self.origin) // DAY).astype(np.int64)

    def index(self, dates: np.ndarray) -> np.ndarray:
        return self.day(dates) // self.days

    def dates(self) -> np.ndarray:
        return self.origin + (np.arange(self.T) * self.days).astype("timedelta64[D]")


def make_grid(polls: Polls, anchors: list[Anchor], period: Period) -> Grid:
    t = polls.table
    lo = t["start"].min().to_datetime64()
    hi = t["end"].max().to_datetime64()
    for a in anchors:
        d = _anchor_date(a)
        lo, hi = min(lo, d), max(hi, d)
    lo = np.datetime64(lo, "D")
    hi = np.datetime64(hi, "D")
    if period == "week":
        # ISO weeks: periods start on Monday
        weekday = int(pd.Timestamp(lo).weekday())
        lo = lo - np.timedelta64(weekday, "D")
        T = int((hi - lo) // np.timedelta64(7, "D")) + 1
    else:
        T = int((hi - lo) // np.timedelta64(1, "D")) + 1
    return Grid(np.datetime64(lo, "ns"), period, T)


def fieldwork_weights(
    polls: Polls, grid: Grid, fieldwork: Fieldwork
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, lens, wflat)``: poll ``i`` covers periods ``first[i]..`` with these weights,
    proportional to the fieldwork days in each period (midpoint: the middle day only)."""
    t = polls.table
    s = grid.day(t["start"].to_numpy())
    e = grid.day(t["end"].to_numpy())
    if fieldwork == "midpoint":
        m = (s + e) // 2
        first = m // grid.days
        return first, np.ones(len(t), np.int64), np.ones(len(t))
    ndays = e - s + 1
    day = np.repeat(s, ndays) + (
        np.arange(ndays.sum()) - np.repeat(np.cumsum(ndays) - ndays, ndays)
    )
    per = day // grid.days
    first = s // grid.days
    last = e // grid.days
    lens = last - first + 1
    offset = np.repeat(np.cumsum(lens) - lens, ndays) + (per - np.repeat(first, ndays))
    w = np.bincount(offset, minlength=int(lens.sum())).astype(float)
    w /= np.repeat(ndays, lens)
    return first, lens, w


@dataclass
class _Fit:
    sigma: float
    tau: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    gradient_norm: float
    cov_log_sigma_tau: np.ndarray | None
    free_tau: np.ndarray
    phi: np.ndarray | None = None  # (log sigma, tau of the pollsters with free tau)


def _optimise(d: Design, free_tau: np.ndarray, s_ref: float) -> _Fit:
    """ML for (log sigma, tau_j^2) by SLSQP (bounds tau_j^2 >= 0), central-difference gradients."""
    J = d.J
    nt = int(free_tau.sum())
    s2 = s_ref * s_ref

    def unpack(theta: np.ndarray) -> tuple[float, np.ndarray]:
        sigma2 = s2 * math.exp(2.0 * theta[0])
        tau2 = np.zeros(J)
        tau2[free_tau] = theta[1:] * s2
        return sigma2, tau2

    def f(theta: np.ndarray) -> float:
        sigma2, tau2 = unpack(theta)
        try:
            return -solve(d, sigma2, tau2, full=False).loglik
        except (FloatingPointError, np.linalg.LinAlgError):
            return np.inf

    def grad(theta: np.ndarray) -> np.ndarray:
        g = np.empty_like(theta)
        for k in range(theta.size):
            h = 1e-5 if k == 0 else 1e-5 * max(1.0, abs(theta[k]))
            tp = theta.copy()
            tm = theta.copy()
            tp[k] += h
            tm[k] -= h
            fp, fm = f(tp), f(tm)
            if not np.isfinite(fm):
                g[k] = (fp - f(theta)) / h
            else:
                g[k] = (fp - fm) / (2 * h)
        return g

    # start: best of a few innovation SDs, extra variance 0.25 x typical sampling variance
    w0 = np.full(nt, 0.25)
    starts = [math.log(x) for x in (0.01, 0.03, 0.1, 0.3, 1.0)]
    vals = [f(np.r_[ls, w0]) for ls in starts]
    theta0 = np.r_[starts[int(np.argmin(vals))], w0]
    bounds = [(math.log(1e-5), math.log(100.0))] + [(0.0, 400.0)] * nt
    # SLSQP handles the bounds well and has far less per-iteration overhead than L-BFGS-B
    res = minimize(
        f,
        theta0,
        jac=grad,
        method="SLSQP",
        bounds=bounds,
        options={"maxiter": 300, "ftol": 1e-12},
    )
    theta = res.x.copy()
    theta[1:][theta[1:] < 1e-6] = 0.0  # an extra variance this small is on the boundary
    g = grad(theta)
    # projected gradient: ignore components pushing against an active bound
    proj = g.copy()
    for k, (lo, hi) in enumerate(bounds):
        if (theta[k] <= lo + 1e-12 and g[k] > 0) or (theta[k] >= hi - 1e-12 and g[k] < 0):
            proj[k] = 0.0
    sigma2, tau2 = unpack(theta)
    sigma = math.sqrt(sigma2)
    tau = np.sqrt(tau2)

    # covariance of (log sigma, tau_j) for interior tau_j: inverse numerical Hessian
    interior = np.r_[True, theta[1:] > 1e-6]
    cov = None
    phi = np.r_[math.log(sigma), tau[free_tau]]  # log sigma, tau (absolute)

    def f_phi(x: np.ndarray) -> float:
        try:
            return -solve(d, *phi_variances(x, free_tau), full=False).loglik
        except (FloatingPointError, np.linalg.LinAlgError):
            return np.nan

    idx = np.flatnonzero(interior)
    m = idx.size
    H = np.empty((m, m))
    hs = np.array([1e-4 if k == 0 else 1e-3 * max(phi[k], s_ref * 0.05) for k in idx])
    f0 = f_phi(phi)
    for a in range(m):
        for b in range(a, m):
            ea = np.zeros_like(phi)
            eb = np.zeros_like(phi)
            ea[idx[a]] = hs[a]
            eb[idx[b]] = hs[b]
            if a == b:
                val = (f_phi(phi + ea) - 2 * f0 + f_phi(phi - ea)) / hs[a] ** 2
            else:
                val = (
                    f_phi(phi + ea + eb)
                    - f_phi(phi + ea - eb)
                    - f_phi(phi - ea + eb)
                    + f_phi(phi - ea - eb)
                ) / (4 * hs[a] * hs[b])
            H[a, b] = H[b, a] = val
    try:
        Hi = np.linalg.inv(H)
        if np.all(np.diag(Hi) > 0):
            cov = np.full((phi.size, phi.size), np.nan)
            cov[np.ix_(idx, idx)] = Hi
    except np.linalg.LinAlgError:
        cov = None
    return _Fit(
        sigma=sigma,
        tau=tau,
        loglik=-float(f(theta)),
        iterations=int(res.nit),
        converged=bool(res.success) or float(np.max(np.abs(proj))) < 1e-3,
        gradient_norm=float(np.max(np.abs(proj))) if proj.size else 0.0,
        cov_log_sigma_tau=cov,
        free_tau=free_tau,
        phi=phi,
    )


def fit_prepared_polls(polls: Polls, anchor: Any, settings: PollFit) -> PollsResult:
    """:func:`fit_polls` on polls already read and checked, with its options ``settings``."""
    ident, C, anchors = _identification(anchor, polls.pollsters)
    return _fit_prepared(polls, ident, C, anchors, settings)


def _fit_prepared(
    polls: Polls, ident: str, C: np.ndarray, anchors: list[Anchor], settings: PollFit
) -> PollsResult:
    period, sigma = settings.period, settings.sigma
    t = polls.table
    f = polls.factor
    grid = make_grid(polls, anchors, period)
    first, lens, wflat = fieldwork_weights(polls, grid, settings.fieldwork)
    p = t["share"].to_numpy()
    nn = t["n"].to_numpy()
    pc = np.clip(p, 0.5 / nn, 1 - 0.5 / nn)  # keep the variance positive at 0% / 100%
    vb = pc * (1 - pc) / nn
    house = pd.Categorical(t["pollster"], categories=polls.pollsters).codes.astype(np.int64)
    anc = [
        (int(grid.index(np.array([_anchor_date(a)]))[0]), a.estimate / f, a.std_error / f)
        for a in anchors
    ]
    for a in anchors:
        if not (0 <= a.estimate / f <= 1):
            raise DataError(
                f"anchor estimate {a.estimate:g} is outside the range of the shares "
                f"(0-{f:g}); give it in the same units as the shares",
                param="anchor",
            )
    d = build_design(p, vb, house, C, first, (lens, wflat), grid.T, anc)
    counts = np.bincount(house, minlength=len(polls.pollsters))
    free_tau = (counts >= 3) if settings.extra_variance else np.zeros(len(polls.pollsters), bool)
    s_ref = float(np.median(np.sqrt(vb)))
    notes = list(polls.notes)
    if len(polls.pollsters) < 2 and ident != "anchored":
        notes.append(
            f"one pollster ({polls.pollsters[0]}): house effects need two or more pollsters, or "
            "a value anchor (value:DATE:EST:SE), so none is reported; the trend is this "
            "pollster's own reading, house effect included"
        )
    if grid.T == 1:
        notes.append("all polls fall in one period: no trend over time, sigma is not estimated")
        sig: float | None = 1e-3 * s_ref  # any value: with one period it is not in the loglik
    elif sigma is not None:
        sig = sigma / f
        notes.append(f"innovation SD fixed at {sigma:g} per {period} (not estimated)")
    else:
        sig = None
    if sig is None:
        fit = _optimise(d, free_tau, s_ref)
    elif free_tau.any():
        fit = _optimise_tau_only(d, free_tau, s_ref, sig)
    else:
        loglik = solve(d, sig * sig, np.zeros(d.J), full=False).loglik
        fit = _Fit(sig, np.zeros(d.J), loglik, 0, True, 0.0, None, free_tau)
    if not fit.converged:
        notes.append(
            f"the likelihood maximisation did not fully converge (projected gradient "
            f"{fit.gradient_norm:.2g}); treat the variance estimates with care"
        )
    route, why = choose_route(
        settings.sigma_uncertainty, settings.bands, d.n, sig is not None, grid.T == 1
    )
    hyper = hyper_correction(d, fit) if settings.bands == "corrected" else None
    if route == "integrate":
        sol: Any = integrate_sigma(d, fit)
        hyper = mixture_hyper(hyper, settings.bands)
        notes.append(
            f"bands integrated over the innovation SD ({why}): {sol.sigma.size} values "
            "weighted by their likelihood, flat prior on the SD"
        )
    else:
        sol = solve(d, fit.sigma**2, fit.tau**2, full=True)
    if grid.T == 1:
        fit.sigma = float("nan")
    fields = result_fields(
        polls=polls, grid=grid, design=d, sol=sol, fit=fit, ident=ident, anchors=anchors,
        fieldwork=settings.fieldwork, notes=notes, window=settings.window,
        level=settings.level, sigma_fixed=sigma is not None and grid.T > 1, hyper=hyper,
    )  # fmt: skip
    return PollsResult(**fields, sigma_route=route, sigma_route_reason=why)


def _optimise_tau_only(d: Design, free_tau: np.ndarray, s_ref: float, sigma: float) -> _Fit:
    s2 = s_ref * s_ref

    def f(w: np.ndarray) -> float:
        tau2 = np.zeros(d.J)
        tau2[free_tau] = w * s2
        try:
            return -solve(d, sigma * sigma, tau2, full=False).loglik
        except (FloatingPointError, np.linalg.LinAlgError):
            return np.inf

    nt = int(free_tau.sum())
    res = minimize(
        f,
        np.full(nt, 0.25),
        method="SLSQP",
        bounds=[(0.0, 400.0)] * nt,
        options={"maxiter": 300, "ftol": 1e-12},
    )
    tau2 = np.zeros(d.J)
    tau2[free_tau] = res.x * s2
    return _Fit(
        sigma, np.sqrt(tau2), -float(res.fun), int(res.nit), bool(res.success), 0.0, None, free_tau
    )
