"""One block of replications of one design cell: vectorised draws of ``reps`` surveys as
``(reps, n)`` arrays, then every estimator on them (common random numbers across
estimators). Difference in means, the double list, the gap, the placebo correction and the
linear model run as array operations across replications; ML and user callables loop over
replications, calling the array engine :func:`unspoken.listexp.ml.ml_core`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

from unspoken.diagnosis.grid import Cell
from unspoken.errors import UnsupportedError
from unspoken.inference.delta import delta_se

__all__ = ["BUILTIN", "check_estimators", "run_block", "truth_of"]

#: unspoken's own estimators and what each needs of the design
BUILTIN = {
    "dim": "difference in means",
    "lm": "linear model with the covariate x (robust s.e.)",
    "ml": "maximum likelihood with the covariate x",
    "double": "double list, pooled",
    "gap": "the gap: list estimate minus the direct share",
    "placebo": "placebo-corrected difference in means",
}
_NEEDS = {"double": ("list", "double"), "placebo": ("list", "placebo"), "gap": ("direct", True)}


def check_estimators(estimators: Any, cells: list[Cell]) -> list[Any]:
    """Names (or callables) of the estimators, each checked against every cell."""
    ests = [estimators] if isinstance(estimators, str) or callable(estimators) else list(estimators)
    if not ests:
        raise UnsupportedError("estimators is empty", param="estimators")
    for e in ests:
        if callable(e):
            continue
        if e not in BUILTIN:
            raise UnsupportedError(
                f"unknown estimator {e!r}: give one of {', '.join(BUILTIN)} or a callable "
                "returning (estimate, std_error)",
                param="estimators",
            )
        if e in _NEEDS:
            field, value = _NEEDS[e]
            bad = [i for i, c in enumerate(cells) if getattr(c, field) != value]
            if bad:
                raise UnsupportedError(
                    f"estimator {e!r} needs {field} = {value!r} in every design; cells "
                    f"{', '.join(map(str, bad[:5]))} have another (split the grid)",
                    param="estimators",
                )
    names = [estimator_name(e) for e in ests]
    if len(set(names)) != len(names):
        raise UnsupportedError("estimators has repeated names", param="estimators")
    return ests


def estimator_name(e: Any) -> str:
    return e if isinstance(e, str) else getattr(e, "__name__", "custom")


_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(60)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def _intercept(cell: Cell) -> float:
    """The logit intercept giving population prevalence ``cell.prevalence`` when the slope on
    a standard normal ``x`` is ``cell.covariate`` (Gauss-Hermite quadrature)."""
    a0 = float(logit(cell.prevalence))
    b = cell.covariate
    if b == 0:
        return a0

    def gap(a: float) -> float:
        return float(_WEIGHTS @ expit(a + b * _NODES)) - cell.prevalence

    return float(brentq(gap, a0 - 10 - abs(b) * 10, a0 + 10 + abs(b) * 10, xtol=1e-14))


def truth_of(estimator: Any, cell: Cell) -> float:
    """The population value the estimator targets: the prevalence, or for the gap the
    hidden share minus the direct share, ``-(1 - prevalence) falsification``."""
    if estimator == "gap":
        return -(1 - cell.prevalence) * cell.falsification
    return cell.prevalence


def _controls(rng: np.random.Generator, cell: Cell, shape: tuple[int, int]) -> np.ndarray:
    """Counts of ``J`` exchangeable control items with share ``control_prob`` and pairwise
    correlation ``rho``: each item copies a common answer with probability sqrt(rho)."""
    p, J = cell.control_prob, cell.J
    common = rng.random(shape) < p
    copies = rng.binomial(J, np.sqrt(cell.rho), shape) if cell.rho > 0 else np.zeros(shape, int)
    return common * copies + rng.binomial(J - copies, p)


def draw(cell: Cell, reps: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``reps`` surveys of ``cell.n`` respondents as ``(reps, n)`` arrays: ``y`` (the list
    count; ``yb`` the second list of a double list), ``arm`` (0 control, 1 sensitive list,
    2 placebo list; for a double list 1 = sensitive item on list A, 0 = on list B), ``x``,
    ``z``, ``obs`` (answered the list), ``direct`` (when asked)."""
    shape = (reps, cell.n)
    x = rng.standard_normal(shape)
    z = rng.random(shape) < expit(_intercept(cell) + cell.covariate * x)
    ystar = _controls(rng, cell, shape)
    if cell.list == "placebo":
        arm = rng.integers(0, 3, shape)
    else:
        arm = (rng.random(shape) < cell.treated_share).astype(np.int64)
    J = cell.J
    keep = (1 - cell.deflation) * np.where(ystar == 0, 1 - cell.floor, 1.0)
    keep = keep * np.where(ystar == J, 1 - cell.ceiling, 1.0)
    shown = z & (rng.random(shape) < keep)  # holders who add the sensitive item
    out = {"x": x, "z": z, "arm": arm}
    if cell.list == "double":
        yb = _controls(rng, cell, shape)
        keep_b = (1 - cell.deflation) * np.where(yb == 0, 1 - cell.floor, 1.0)
        keep_b = keep_b * np.where(yb == J, 1 - cell.ceiling, 1.0)
        shown_b = z & (rng.random(shape) < keep_b)
        out["y"] = ystar + (arm == 1) * shown
        out["yb"] = yb + (arm == 0) * shown_b
    elif cell.list == "placebo":
        holds = rng.random(shape) < cell.placebo_prevalence
        shown_p = holds & (rng.random(shape) < 1 - cell.deflation)
        out["y"] = ystar + (arm == 1) * shown + (arm == 2) * shown_p
    else:
        out["y"] = ystar + arm * shown
    out["obs"] = rng.random(shape) >= cell.dk_rate
    if cell.direct:
        out["direct"] = z | (rng.random(shape) < cell.falsification)
    return out


def _dim(y: Any, a: Any, b: Any, w: Any) -> tuple[np.ndarray, ...]:
    """Row-wise difference in means of ``y`` between the respondents of masks ``a`` and
    ``b`` (unequal variances; ``w`` counts how many respondents each column stands for), and
    the influence value of each column (weighted mean 0, scaled so that the estimate's error
    is their weighted row mean)."""
    n = w.sum(axis=1)
    aw, bw = a * w, b * w
    na, nb = aw.sum(axis=1), bw.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ma = (y * aw).sum(axis=1) / na
        mb = (y * bw).sum(axis=1) / nb
        ra = (y - ma[:, None]) * a
        rb = (y - mb[:, None]) * b
        va = (ra**2 * w).sum(axis=1) / (na - 1) / na
        se = np.sqrt(va + (rb**2 * w).sum(axis=1) / (nb - 1) / nb)
        psi = n[:, None] * (ra / na[:, None] - rb / nb[:, None])
    return ma - mb, se, psi


def _se(psi: np.ndarray, w: Any) -> np.ndarray:
    """The standard error from influence values: sqrt(sum of squares) / n."""
    return np.sqrt((psi**2 * w).sum(axis=1)) / w.sum(axis=1)


def _lm(y: np.ndarray, t: np.ndarray, x: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, ...]:
    """Least squares of ``y`` on ``[1, x, t, t x]`` in every row at once (respondents of
    ``use``); the prevalence ``b_t + b_tx mean(x)`` and its robust (HC0) standard error."""
    w = use.astype(float)
    Z = np.stack([np.ones_like(x), x, t, t * x], axis=2)
    A = np.einsum("kni,knj->kij", Z * w[..., None], Z)
    beta = np.linalg.solve(A, np.einsum("kni,kn->ki", Z, w * y)[..., None])[..., 0]
    e = (y - np.einsum("kni,ki->kn", Z, beta)) * w
    m = use.sum(axis=1)
    xbar = (x * w).sum(axis=1) / m
    g = np.stack([np.zeros_like(xbar), np.zeros_like(xbar), np.ones_like(xbar), xbar], axis=1)
    h = np.linalg.solve(np.swapaxes(A, 1, 2), g[..., None])[..., 0]  # A^-T g
    psi = e * np.einsum("kni,ki->kn", Z, h) + w * beta[:, 3:4] * (x - xbar[:, None]) / m[:, None]
    return beta[:, 2] + beta[:, 3] * xbar, np.sqrt((psi**2).sum(axis=1))


def _ml(y: np.ndarray, t: np.ndarray, x: np.ndarray, use: np.ndarray, J: int):
    from unspoken.listexp.ml import ml_core
    from unspoken.listexp.predict import prevalence_parts

    est = np.full(len(y), np.nan)
    se = np.full(len(y), np.nan)
    for r in range(len(y)):  # one likelihood per survey: no vectorised form
        u = use[r]
        X = np.column_stack([np.ones(u.sum()), x[r, u]])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                core = ml_core(y[r, u], t[r, u], X, ["1", "x"], J + 0, None, quiet=True)
        except Exception:  # a failed fit is counted as a failure, not an error
            continue
        if not core.converged or core.model_cov is None:
            continue
        e, G = prevalence_parts("logit", core.theta[:2], X, np.ones(len(X)))
        est[r], se[r] = e, delta_se(G, core.model_cov[:2, :2])
    return est, se


def _frames(d: dict[str, np.ndarray]) -> Callable[[int], Any]:
    import pandas as pd

    cols = [c for c in ("y", "yb", "arm", "x", "direct") if c in d]

    def frame(r: int) -> Any:
        u = d["obs"][r]
        return pd.DataFrame({c: d[c][r, u].astype(float) for c in cols})

    return frame


def _control_pmf(cell: Cell) -> np.ndarray:
    """P(control count = 0..J) of :func:`_controls`'s items."""
    from scipy.stats import binom

    J, p, s = cell.J, cell.control_prob, np.sqrt(cell.rho)
    k = np.arange(J + 1)
    pmf = np.zeros(J + 1)
    for c in range(J + 1):  # c items copy the common answer (J + 1 terms, not respondents)
        pc = binom.pmf(c, J, s) if s > 0 else float(c == 0)
        rest = binom.pmf(k[: J - c + 1], J - c, p)
        pmf[: J - c + 1] += pc * (1 - p) * rest
        pmf[c:] += pc * p * rest
    return pmf


def _keep(cell: Cell, ystar: int) -> float:
    k = 1 - cell.deflation
    if ystar == 0:
        k *= 1 - cell.floor
    if ystar == cell.J:
        k *= 1 - cell.ceiling
    return k


def answer_table(cell: Cell) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every distinct answer pattern a respondent of ``cell`` can give (``arm``, ``obs``,
    ``y``, and ``yb`` / ``direct`` when the design has them) and its probability: the
    exact distribution behind :func:`draw` with the covariate integrated out, so that a
    multinomial draw of ``n`` patterns is a survey of ``n`` respondents."""
    J, pi = cell.J, cell.prevalence
    pmf = _control_pmf(cell)
    arms = {"placebo": [(0, 1 / 3), (1, 1 / 3), (2, 1 / 3)]}.get(
        cell.list, [(0, 1 - cell.treated_share), (1, cell.treated_share)]
    )
    pp = cell.placebo_prevalence * (1 - cell.deflation)
    acc: dict[tuple[int, ...], float] = {}
    for z, pz in ((0, 1 - pi), (1, pi)):
        dirs = [(0, 1.0)]
        if cell.direct:
            dirs = [(1, 1.0)] if z else [(0, 1 - cell.falsification), (1, cell.falsification)]
        for arm, pa in arms:
            for ya in range(J + 1):
                sa = _keep(cell, ya) * z
                for add_a, p_add in ((0, 1 - sa), (1, sa)):
                    if cell.list == "double":
                        bs = [(yb, pmf[yb], _keep(cell, yb) * z) for yb in range(J + 1)]
                    else:
                        bs = [(0, 1.0, 0.0)]
                    for yb, pyb, sb in bs:
                        for add_b, p_b in ((0, 1 - sb), (1, sb)):
                            plc = [(0, 1 - pp), (1, pp)] if arm == 2 else [(0, 1.0)]
                            for add_p, p_p in plc:
                                y = ya + add_a * (arm == 1) + add_p
                                yy = yb + add_b * (arm == 0 and cell.list == "double")
                                base = pz * pa * pmf[ya] * p_add * pyb * p_b * p_p
                                for dv, pdv in dirs:
                                    for obs, po in ((1, 1 - cell.dk_rate), (0, cell.dk_rate)):
                                        key = (arm, obs, y * obs, yy * obs, dv)
                                        acc[key] = acc.get(key, 0.0) + base * pdv * po
    keys = [k for k, v in acc.items() if v > 0]
    cols = np.array(keys, dtype=np.int64).T
    values = dict(zip(("arm", "obs", "y", "yb", "direct"), cols, strict=True))
    values["obs"] = values["obs"].astype(bool)
    probs = np.array([acc[k] for k in keys])
    return values, probs / probs.sum()


#: estimators computed from the answer patterns' counts (no covariate needed)
TABULATED = {"dim", "double", "gap", "placebo"}


def run_block(cell: Cell, estimators: list[Any], seed: np.random.SeedSequence, reps: int):
    """Draw ``reps`` surveys of ``cell`` from ``seed`` and apply every estimator; returns
    ``{"est": {name: array}, "se": {name: array}, "floor": array, "ceiling": array}``
    (the floor/ceiling shares: the share of the long list's respondents answering 0 / J + 1,
    the answers that reveal the sensitive item).

    When every estimator works on counts (``dim``, ``double``, ``gap``, ``placebo``) a survey
    is a multinomial draw of ``n`` answer patterns (:func:`answer_table`), exact and
    independent of ``n`` in cost; otherwise respondents are drawn one by one."""
    rng = np.random.default_rng(seed)
    if all(isinstance(e, str) and e in TABULATED for e in estimators):
        d, probs = answer_table(cell)
        d = {k: v[None, :] for k, v in d.items()}
        w = rng.multinomial(cell.n, probs, size=reps).astype(float)
    else:
        d = draw(cell, reps, rng)
        w = np.ones((reps, cell.n))
    y, arm, obs = d["y"], d["arm"], d["obs"]
    long_, short = obs & (arm == 1), obs & (arm == 0)
    est: dict[str, np.ndarray] = {}
    se: dict[str, np.ndarray] = {}
    cache: dict[str, Any] = {}

    def dim_main() -> tuple[np.ndarray, ...]:
        if "dim" not in cache:
            cache["dim"] = _dim(y, long_, short, w)
        return cache["dim"]

    def double() -> tuple[np.ndarray, ...]:
        m, s, psi = _dim(y - d["yb"], long_, short, w)
        return m / 2, s / 2, psi / 2

    for e in estimators:
        name = estimator_name(e)
        if e == "dim":
            est[name], se[name] = dim_main()[:2]
        elif e == "double":
            m, _, psi = double()
            est[name], se[name] = m, _se(psi, w)
        elif e == "gap":  # the list estimate (pooled over a double list) minus the direct
            m, _, psi = dim_main() if cell.list != "double" else double()
            dd = d["direct"].astype(float)
            dm = (dd * w).sum(axis=1) / w.sum(axis=1)
            est[name], se[name] = m - dm, _se(psi - (dd - dm[:, None]), w)
        elif e == "placebo":
            s, _, psi_s = dim_main()
            p, _, psi_p = _dim(y, obs & (arm == 2), short, w)
            pp = cell.placebo_prevalence
            with np.errstate(divide="ignore", invalid="ignore"):
                est[name] = pp * s / p
                psi = pp * (psi_s / p[:, None] - s[:, None] * psi_p / (p**2)[:, None])
            se[name] = _se(psi, w)
        elif e == "lm":
            use = long_ | short
            est[name], se[name] = _lm(y.astype(float), (arm == 1).astype(float), d["x"], use)
        elif e == "ml":
            est[name], se[name] = _ml(y, (arm == 1).astype(float), d["x"], long_ | short, cell.J)
        else:
            frame = _frames(d)
            out = np.full((2, reps), np.nan)
            for r in range(reps):
                with contextlib.suppress(Exception):  # a failure, counted as such
                    out[:, r] = [float(v) for v in e(frame(r))]
            est[name], se[name] = out[0], out[1]
    lw = long_ * w
    with np.errstate(divide="ignore", invalid="ignore"):
        nl = lw.sum(axis=1)
        floor = ((y == 0) * lw).sum(axis=1) / nl
        ceiling = ((y == cell.J + 1) * lw).sum(axis=1) / nl
    return {"est": est, "se": se, "floor": floor, "ceiling": ceiling}
